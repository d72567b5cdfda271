package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shmkit/shmkit/process"
	"github.com/shmkit/shmkit/shm"
)

// The tests here run the shmkit binary, built once, as a person runs it:
// output and exit status, stdout apart from stderr.

var (
	binOnce sync.Once
	binDir  string
	binErr  error
)

// shmkitBin builds cmd/shmkit and cmd/shmkit-plot into a temporary
// directory once per test binary and returns the shmkit binary's path
// (shmkit-plot beside it, where bench finds it).
func shmkitBin(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		if binDir, binErr = os.MkdirTemp("", "shmkit-cli-test-"); binErr != nil {
			return
		}
		out, err := exec.Command("go", "build", "-o", binDir+"/", ".", "../shmkit-plot").CombinedOutput()
		if err != nil {
			binErr = errors.New(err.Error() + "\n" + string(out))
		}
	})
	if binErr != nil {
		t.Skipf("building shmkit: %v", binErr)
	}
	return filepath.Join(binDir, "shmkit")
}

func removeBinaries() {
	if binDir != "" {
		os.RemoveAll(binDir)
	}
}

// runBin runs the shmkit binary with args and returns its exit status and
// output.
func runBin(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, shmkitBin(t), args...)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
	case errors.As(err, &ee):
		code = ee.ExitCode()
	default:
		t.Fatalf("shmkit %q: %v", args, err)
	}
	return code, o.String(), e.String()
}

// holdMapped runs a Go child that maps the raw file (as Python's
// SharedMemory does) and keeps it mapped until ctx ends.
var holdMapped = process.Register("cmdtest.hold", func(ctx context.Context, name string) (struct{}, error) {
	r, err := shm.OpenRaw(name)
	if err != nil {
		return struct{}{}, err
	}
	defer r.Close()
	<-ctx.Done()
	return struct{}{}, nil
})

// pythonHolder is the Python program that maps a segment by name, as a
// user's numpy program does, without letting multiprocessing's resource
// tracker unlink it at exit.
const pythonHolder = `
import sys, time
from multiprocessing import shared_memory, resource_tracker
s = shared_memory.SharedMemory(name=sys.argv[1])
try:
    resource_tracker.unregister(s._name, "shared_memory")
except Exception:
    pass
print("mapped", len(s.buf), flush=True)
time.sleep(120)
`

// mapElsewhere makes another live process map the segment name: Python's
// SharedMemory when python3 is there (the case of the issue), else a Go
// child mapping the raw file. It returns that process's command name; the
// process ends with the test.
func mapElsewhere(t *testing.T, name string) string {
	t.Helper()
	if py, err := exec.LookPath("python3"); err == nil {
		cmd := exec.Command(py, "-c", pythonHolder, name)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		line, err := bufio.NewReader(out).ReadString('\n')
		if err == nil && strings.HasPrefix(line, "mapped") {
			return "python3"
		}
		t.Logf("python3 could not map %s (%v, %q): a Go child maps it instead", name, err, line)
		cmd.Process.Kill()
	}
	ctx, cancel := context.WithCancel(context.Background())
	p, err := process.Start(ctx, holdMapped, name, process.WithName("holder"))
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); p.Join(context.Background()) })
	deadline := time.Now().Add(10 * time.Second)
	for !scanMappings().of(name).Mapped() {
		if time.Now().After(deadline) {
			t.Fatal("the Go child never mapped the segment")
		}
		time.Sleep(20 * time.Millisecond)
	}
	return ""
}

// readAll reads r to its end in the background; the result comes when
// the channel yields.
func readAll(r io.Reader) <-chan string {
	c := make(chan string, 1)
	go func() {
		b, _ := io.ReadAll(r)
		c <- string(b)
	}()
	return c
}
