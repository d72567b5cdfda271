package process

import (
	"syscall"

	"github.com/shmkit/shmkit/internal/kernel"
)

// childAttr is kernel.ChildAttr with SIGHUP, not SIGKILL, as the
// parent-death signal: a child whose parent died gets its grace period
// like any cancelled child, and kills itself after it (see taskctx.go).
// Not SIGTERM: the kernel sends the signal when the forking thread exits,
// which may be before the rest of the parent dies, so the child could not
// tell it from Terminate by its parent's pid.
func childAttr() *syscall.SysProcAttr {
	a := kernel.ChildAttr()
	a.Pdeathsig = syscall.SIGHUP
	return a
}
