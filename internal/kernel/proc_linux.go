//go:build linux

package kernel

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"
	"syscall"

	"golang.org/x/sys/unix"
)

func errorIs(err, target error) bool { return errors.Is(err, target) }

// StartTime returns the start time of process pid in clock ticks since boot
// (field 22 of /proc/PID/stat). The pair (pid, start time) names one process
// for the life of the machine: a pid reused by a newer process has a later
// start time. A zombie counts as not running and yields an error.
func StartTime(pid int) (uint64, error) {
	if pid <= 0 {
		return 0, fmt.Errorf("start time of pid %d: %w", pid, os.ErrInvalid)
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, fmt.Errorf("start time of pid %d: %w", pid, err)
	}
	// The command name (field 2) is in parentheses and may itself hold
	// spaces and parentheses: fields are counted after the last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 || i+2 >= len(b) {
		return 0, fmt.Errorf("parsing /proc/%d/stat: unexpected format", pid)
	}
	fields := bytes.Fields(b[i+2:]) // fields[0] is field 3, the state
	if len(fields) < 20 {
		return 0, fmt.Errorf("parsing /proc/%d/stat: %d fields", pid, len(fields))
	}
	if s := fields[0]; len(s) == 1 && (s[0] == 'Z' || s[0] == 'X') {
		return 0, fmt.Errorf("pid %d is a zombie: %w", pid, os.ErrProcessDone)
	}
	return strconv.ParseUint(string(fields[19]), 10, 64)
}

// ProcessExists reports whether a process (zombies included) has pid:
// kill(pid, 0), which needs no file descriptor. EPERM means it exists;
// any other error is returned as is.
func ProcessExists(pid int) (bool, error) {
	if pid <= 0 {
		return false, fmt.Errorf("pid %d: %w", pid, os.ErrInvalid)
	}
	switch err := unix.Kill(pid, 0); err {
	case nil, unix.EPERM:
		return true, nil
	case unix.ESRCH:
		return false, nil
	default:
		return true, err
	}
}

var self struct {
	once  sync.Once
	pid   int
	start uint64
}

// Self returns this process's pid and start time, read once. Children
// spawned by re-exec are new processes and read their own.
func Self() (pid int, start uint64) {
	self.once.Do(func() {
		self.pid = os.Getpid()
		self.start, _ = StartTime(self.pid)
	})
	return self.pid, self.start
}

// ChildAttr returns the attributes for a child that must die with its
// parent: SIGKILL as parent-death signal, set by the kernel between fork and
// exec. The signal fires when the *thread* that forked exits, so callers
// fork from a thread that lives as long as the process.
func ChildAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}

// SetParentDeathSignal asks the kernel to send sig to this process when its
// parent exits, then checks that the parent is still ppid (it may have died
// before the request).
func SetParentDeathSignal(sig syscall.Signal, ppid int) error {
	if err := unix.Prctl(unix.PR_SET_PDEATHSIG, uintptr(sig), 0, 0, 0); err != nil {
		return fmt.Errorf("prctl(PR_SET_PDEATHSIG): %w", err)
	}
	if ppid > 0 && os.Getppid() != ppid {
		return fmt.Errorf("parent %d already exited: %w", ppid, os.ErrProcessDone)
	}
	return nil
}
