package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/shmkit/shmkit/shm"
)

// deadPID runs a process that exits at once and returns its pid, now free.
func deadPID(t *testing.T) int {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(ctx, exe, "-test.run=^$")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return cmd.Process.Pid
}

// tempFile makes a file named like a temporary file of shm.Create by pid.
func tempFile(t *testing.T, pid int) string {
	t.Helper()
	name := fmt.Sprintf(".shmkit-tmp-%d-gctest%d", pid, os.Getpid())
	path := filepath.Join(shm.Dir, name)
	if err := os.WriteFile(path, make([]byte, 8192), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(path) })
	return name
}

// Issue 10, item 2: gc removes the temporary files that processes killed
// inside shm.Create left (older versions, or a file system without
// O_TMPFILE), and only those of dead processes.
func TestGcRemovesTempLeftovers(t *testing.T) {
	dead := tempFile(t, deadPID(t))
	live := tempFile(t, os.Getpid())

	code, _, errOut := runCLI("ls")
	if code != 0 || !strings.Contains(errOut, "temporary file") || !strings.Contains(errOut, "gc") {
		t.Fatalf("ls: %d, stderr %q: no word of the leftover", code, errOut)
	}
	code, out, _ := runCLI("gc", "-n")
	if code != 0 || !strings.Contains(out, "would remove temporary file "+dead) || strings.Contains(out, live) {
		t.Fatalf("gc -n: %d\n%s", code, out)
	}
	if _, err := os.Stat(filepath.Join(shm.Dir, dead)); err != nil {
		t.Fatal("gc -n removed a file")
	}
	code, out, _ = runCLI("gc")
	if code != 0 || !strings.Contains(out, "removed temporary file "+dead) || strings.Contains(out, live) {
		t.Fatalf("gc: %d\n%s", code, out)
	}
	if _, err := os.Stat(filepath.Join(shm.Dir, dead)); !os.IsNotExist(err) {
		t.Fatal("leftover of a dead process survived gc")
	}
	if _, err := os.Stat(filepath.Join(shm.Dir, live)); err != nil {
		t.Fatal("gc removed the temporary file of a live process")
	}
}
