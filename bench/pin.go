package bench

import (
	"fmt"
	"runtime"

	"github.com/shmkit/shmkit/internal/kernel"
)

// Pinning (Config.Pin): the two peers of pingpong and stream each run their
// timed loop on a thread bound to its own CPU, the parent on the first CPU
// this process may use and the child on the second. On a busy 2-core
// machine the scheduler otherwise sometimes puts both peers on one core,
// and a spinning round trip then costs two context switches instead of a
// cache-line transfer. Unpinned is what users get; pinned is repeatable.
//
// Pinning is not neutral: it hurts every transport that sleeps. Unpinned,
// the kernel runs a woken reader on the waker's core (wake-affine), so a
// pipe round trip is two context switches on one core (about 2 µs here);
// pinned apart, every wake is a cross-CPU interrupt, which on this VM
// made the pipe round trip 50 µs. Compare pinned results only with pinned
// results of the same run, and prefer the unpinned ratios.
//
// Pinning is Linux's sched_setaffinity, through package kernel; elsewhere
// a pinned case fails with an error wrapping errors.ErrUnsupported.

// pinCPUs returns the first two CPUs this thread may run on.
func pinCPUs() ([2]int, error) {
	cpus, err := kernel.ThreadCPUs()
	if err != nil {
		return [2]int{}, fmt.Errorf("pinning: %w", err)
	}
	if len(cpus) < 2 {
		return [2]int{}, fmt.Errorf("pinning needs two CPUs, this process may use %d", len(cpus))
	}
	return [2]int{cpus[0], cpus[1]}, nil
}

// pin binds the calling goroutine's thread to the which'th CPU of pinCPUs
// (0: parent, 1: child) when on is set. The returned function undoes it:
// it restores the thread's CPU set, then unlocks the thread, so no other
// goroutine inherits the binding. When the restore fails, the thread stays
// locked to the goroutine (and dies with it, since the runtime ends a
// thread whose goroutine exits locked): unlocking it would hand the
// binding to whatever runs there next. The error says so; the parent's
// goroutine then runs bound until it ends, so its case reports the error.
func pin(on bool, which int) (unpin func() error, err error) {
	if !on {
		return func() error { return nil }, nil
	}
	cpus, err := pinCPUs()
	if err != nil {
		return nil, err
	}
	runtime.LockOSThread()
	old, err := kernel.ThreadCPUs()
	if err != nil {
		runtime.UnlockOSThread() // nothing changed yet
		return nil, err
	}
	if err := kernel.SetThreadCPUs([]int{cpus[which]}); err != nil {
		runtime.UnlockOSThread() // a failed sched_setaffinity changes nothing
		return nil, err
	}
	return func() error {
		if err := kernel.SetThreadCPUs(old); err != nil {
			return fmt.Errorf("unpinning (this thread stays bound and locked): %w", err)
		}
		runtime.UnlockOSThread()
		return nil
	}, nil
}

// unpinned runs unpin (deferred beside pin) and keeps its failure in *err
// when the caller has none of its own.
func unpinned(err *error, unpin func() error) {
	if e := unpin(); e != nil && *err == nil {
		*err = e
	}
}
