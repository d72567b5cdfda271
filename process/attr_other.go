//go:build !linux

package process

import (
	"syscall"

	"github.com/shmkit/shmkit/internal/kernel"
)

// childAttr: Start refuses to run off Linux before it gets here.
func childAttr() *syscall.SysProcAttr { return kernel.ChildAttr() }
