package shm_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/shmkit/shmkit/internal/kernel"
	"github.com/shmkit/shmkit/shm"
)

// within runs f and waits at most d for it. A call that does not return
// means a lock of package shm is stuck for the whole process, so every
// later test would hang too: the files are removed and the binary panics,
// with the goroutine dump that shows where.
func within(t *testing.T, d time.Duration, what string, f func(), files ...string) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		defer close(done)
		f()
	}()
	select {
	case <-done:
	case <-time.After(d):
		for _, name := range files {
			os.Remove(filepath.Join(shm.Dir, name))
		}
		panic(fmt.Sprintf("%s: %s did not return within %v (shm's registry lock held for good?)", t.Name(), what, d))
	}
}

// Issue 10, item 1: attaching a handle whose named segment was removed and
// created again under the same name deadlocked the handle registry.
func TestAttachRecreatedSegment(t *testing.T) {
	name := testName(t)
	s, err := shm.Create(name, 4096, nil)
	if err != nil {
		t.Fatal(err)
	}
	o, err := s.Alloc("obj", 64, 8)
	if err != nil {
		t.Fatal(err)
	}
	h := o.Handle()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := shm.Remove(name); err != nil {
		t.Fatal(err)
	}
	// No t.Cleanup(s2.Close): with the bug, Close would hang the cleanup.
	s2, err := shm.Create(name, 4096, nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s2.Alloc("obj", 64, 8); err != nil {
		t.Fatal(err)
	}
	within(t, 5*time.Second, "Attach of a handle to a recreated segment", func() {
		_, err = shm.Attach(h, shm.KindBytes, 0)
	}, name)
	if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "created again") {
		t.Errorf("Attach of a handle to a recreated segment = %v, want os.ErrNotExist saying it was created again", err)
	}
	// The registry still works: Open, Close, and Attach of a fresh handle.
	within(t, 5*time.Second, "Open, Attach and Close after it", func() {
		other, err := shm.Open(name)
		if err != nil {
			t.Errorf("Open after the failed Attach: %v", err)
			return
		}
		o2, err := s2.Lookup("obj")
		if err != nil {
			t.Errorf("Lookup: %v", err)
		} else if _, err := shm.Attach(o2.Handle(), shm.KindBytes, 0); err != nil {
			t.Errorf("Attach of a current handle: %v", err)
		}
		if err := other.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		if err := s2.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	}, name)
}

// createLoopEnv makes the test binary a child that creates, closes and
// removes segments named after its value in a loop, for
// TestCreateKilledLeavesNoTemp to kill at random moments.
const createLoopEnv = "SHMKIT_TEST_CREATE_LOOP"

const (
	crashSegSize = 4 << 20               // a few MiB: fallocate takes a while
	crashLife    = 30 * time.Second      // a child that is never killed stops by itself
	crashWait    = 10 * time.Second      // bound on the child's start and on its reaping
	crashRounds  = 16                    // kills
	crashDelay   = 25 * time.Millisecond // kill up to this long after the child is ready
)

// createLoop is the child's side. It says "ready" after its first segment,
// so the parent kills it inside the loop and not while it starts.
func createLoop(prefix string) int {
	start := time.Now()
	for i := 0; time.Since(start) < crashLife; i++ {
		name := prefix + "-" + strconv.Itoa(i%4)
		s, err := shm.Create(name, crashSegSize, nil)
		if err != nil {
			fmt.Fprintln(os.Stderr, "create loop:", err)
			return 1
		}
		s.Close()
		if err := shm.Remove(name); err != nil {
			fmt.Fprintln(os.Stderr, "create loop:", err)
			return 1
		}
		if i == 0 {
			fmt.Println("ready")
		}
	}
	return 0
}

// Issue 10, item 2: a SIGKILL inside Create left .shmkit-tmp-PID-* files
// in /dev/shm that nothing removed.
func TestCreateKilledLeavesNoTemp(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	prefix := fmt.Sprintf("shmkit-test-%d-killed", os.Getpid())
	t.Cleanup(func() { removeGlob(t, prefix+"-*") })
	var leaked []string
	for round := range crashRounds {
		pid, err := killDuringCreates(t, exe, fmt.Sprintf("%s-%d", prefix, round))
		if err != nil {
			t.Fatalf("round %d: %v", round, err)
		}
		leaked = append(leaked, removeGlob(t, ".shmkit-tmp-"+strconv.Itoa(pid)+"-*")...)
	}
	if len(leaked) > 0 {
		t.Fatalf("%d temporary files survived %d kills inside Create: %v", len(leaked), crashRounds, leaked)
	}
}

// killDuringCreates starts a create loop child, SIGKILLs it a random moment
// after it is ready, reaps it and returns its pid.
func killDuringCreates(t *testing.T, exe, prefix string) (int, error) {
	ctx, cancel := context.WithTimeout(context.Background(), crashWait)
	defer cancel()
	cmd := exec.CommandContext(ctx, exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), createLoopEnv+"="+prefix)
	cmd.SysProcAttr = kernel.ChildAttr() // dies with this process
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		return 0, err
	}
	if err := cmd.Start(); err != nil {
		return 0, err
	}
	pid := cmd.Process.Pid
	line, rerr := bufio.NewReader(out).ReadString('\n')
	if rerr == nil && line == "ready\n" {
		time.Sleep(rand.N(crashDelay))
	}
	cmd.Process.Kill()
	werr := cmd.Wait()
	var ee *exec.ExitError
	if rerr != nil || !errors.As(werr, &ee) || ee.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		return pid, fmt.Errorf("child %d: read %q (%v), wait: %v, stderr: %s", pid, line, rerr, werr, stderr.String())
	}
	return pid, nil
}

// removeGlob removes the files of /dev/shm matching pattern and returns
// their names.
func removeGlob(t *testing.T, pattern string) []string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(shm.Dir, pattern))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, p := range paths {
		if err := os.Remove(p); err != nil && !os.IsNotExist(err) {
			t.Error(err)
		}
		names = append(names, filepath.Base(p))
	}
	return names
}
