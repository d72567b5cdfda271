//go:build linux

package kernel

import (
	"fmt"
	"syscall"

	"golang.org/x/sys/unix"
)

// GroupLeaderAttr returns the attributes for a child that leads a process
// group of its own, so that KillGroup reaches its descendants too, and that
// dies with its parent (SIGKILL as parent-death signal; see ChildAttr).
func GroupLeaderAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
}

// KillGroup sends SIGKILL to every process of group pgid.
func KillGroup(pgid int) error {
	if pgid <= 0 {
		return fmt.Errorf("kill group %d: %w", pgid, unix.EINVAL)
	}
	if err := unix.Kill(-pgid, unix.SIGKILL); err != nil {
		return fmt.Errorf("kill group %d: %w", pgid, err)
	}
	return nil
}
