package leak

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const onPurposeEnv = "SHMKIT_LEAK_TEST_ON_PURPOSE"

func TestMain(m *testing.M) {
	if os.Getenv(onPurposeEnv) == "logonly" {
		os.Exit(Main(m, LogOnly))
	}
	os.Exit(Main(m))
}

// Run in a re-executed test binary only (TestMainExitCode): it leaves an
// open file behind.
func TestLeakOnPurpose(t *testing.T) {
	if os.Getenv(onPurposeEnv) == "" {
		t.Skip("run by TestMainExitCode")
	}
	f, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	leaked = f // referenced, so that no finalizer closes it
}

var leaked *os.File

func TestMainExitCode(t *testing.T) {
	for _, mode := range []string{"fail", "logonly"} {
		cmd := exec.Command(os.Args[0], "-test.run=^TestLeakOnPurpose$")
		cmd.Env = append(os.Environ(), onPurposeEnv+"="+mode)
		out, err := cmd.CombinedOutput()
		code := cmd.ProcessState.ExitCode()
		if err != nil && code < 0 {
			t.Fatal(err)
		}
		if !strings.Contains(string(out), "leak:   file descriptor") || !strings.Contains(string(out), os.DevNull) {
			t.Errorf("%s: the leak is not printed:\n%s", mode, out)
		}
		if want := map[string]int{"fail": 1, "logonly": 0}[mode]; code != want {
			t.Errorf("%s: exit code %d, want %d:\n%s", mode, code, want, out)
		}
	}
}

// mentions reports whether one of leaks contains s.
func mentions(leaks []string, s string) bool {
	for _, l := range leaks {
		if strings.Contains(l, s) {
			return true
		}
	}
	return false
}

func TestFileInDevShm(t *testing.T) {
	if _, err := os.Stat(ShmDir); err != nil {
		t.Skip(err)
	}
	s := Take()
	path := filepath.Join(ShmDir, fmt.Sprintf("shmkit-test-%d-leak", os.Getpid()))
	if err := os.WriteFile(path, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	defer os.Remove(path)
	if l := s.Check(0); !mentions(l, path) {
		t.Fatalf("new file not reported: %q", l)
	}
	// Removed and created again: a new file under an old name.
	s = Take()
	os.Remove(path)
	if err := os.WriteFile(path, []byte("y"), 0o600); err != nil {
		t.Fatal(err)
	}
	if l := s.Check(0); !mentions(l, path) {
		t.Fatalf("re-created file not reported: %q", l)
	}
	os.Remove(path)
	if l := s.Check(0); len(l) != 0 {
		t.Fatalf("removed file still reported: %q", l)
	}
}

// A file named after another live process (here the one that started the
// test binary) is that process's, not this one's leak.
func TestFileOfOtherProcess(t *testing.T) {
	if _, err := os.Stat(ShmDir); err != nil {
		t.Skip(err)
	}
	s := Take()
	path := filepath.Join(ShmDir, fmt.Sprintf("shmkit-test-%d-other", os.Getppid()))
	if err := os.WriteFile(path, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	defer os.Remove(path)
	if l := s.Check(0); mentions(l, path) {
		t.Fatalf("another process's file reported: %q", l)
	}
}

func TestChildProcess(t *testing.T) {
	s := Take()
	cmd := exec.Command("sleep", "30")
	if err := cmd.Start(); err != nil {
		t.Skip(err)
	}
	pid := fmt.Sprintf("child process %d (running", cmd.Process.Pid)
	if l := s.Check(0); !mentions(l, pid) {
		t.Fatalf("running child not reported: %q", l)
	}
	cmd.Process.Kill()
	zombie := fmt.Sprintf("child process %d (zombie", cmd.Process.Pid)
	deadline := time.Now().Add(Grace)
	for l := s.Check(0); !mentions(l, zombie); l = s.Check(0) {
		if time.Now().After(deadline) {
			t.Fatalf("zombie child not reported: %q", l)
		}
		time.Sleep(5 * time.Millisecond)
	}
	cmd.Wait()
	if l := s.Check(0); len(l) != 0 {
		t.Fatalf("reaped child still reported: %q", l)
	}
}

func TestFileDescriptor(t *testing.T) {
	s := Take()
	f, err := os.Open(os.DevNull)
	if err != nil {
		t.Fatal(err)
	}
	want := fmt.Sprintf("file descriptor %d -> %s", f.Fd(), os.DevNull)
	if l := s.Check(0); !mentions(l, want) {
		t.Fatalf("open fd not reported: %q", l)
	}
	f.Close()
	if l := s.Check(0); len(l) != 0 {
		t.Fatalf("closed fd still reported: %q", l)
	}
}
