//go:build !linux

package kernel

import "syscall"

func GroupLeaderAttr() *syscall.SysProcAttr { return &syscall.SysProcAttr{Setpgid: true} }
func KillGroup(pgid int) error              { return ErrUnsupported }
