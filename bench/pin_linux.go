package bench

import (
	"fmt"
	"math/bits"
	"runtime"
	"syscall"
	"unsafe"
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

type cpuMask [16]uint64 // 1024 CPUs

func getAffinity() (cpuMask, error) {
	var m cpuMask
	_, _, e := syscall.RawSyscall(syscall.SYS_SCHED_GETAFFINITY, 0, unsafe.Sizeof(m), uintptr(unsafe.Pointer(&m)))
	if e != 0 {
		return m, e
	}
	return m, nil
}

func setAffinity(m *cpuMask) error {
	_, _, e := syscall.RawSyscall(syscall.SYS_SCHED_SETAFFINITY, 0, unsafe.Sizeof(*m), uintptr(unsafe.Pointer(m)))
	if e != 0 {
		return e
	}
	return nil
}

// pinCPUs returns the first two CPUs this process may run on.
func pinCPUs() ([2]int, error) {
	m, err := getAffinity()
	if err != nil {
		return [2]int{}, fmt.Errorf("sched_getaffinity: %w", err)
	}
	var cpus []int
	for i, w := range m {
		for w != 0 && len(cpus) < 2 {
			b := bits.TrailingZeros64(w)
			cpus = append(cpus, i*64+b)
			w &^= 1 << b
		}
	}
	if len(cpus) < 2 {
		return [2]int{}, fmt.Errorf("pinning needs two CPUs, this process may use %d", len(cpus))
	}
	return [2]int{cpus[0], cpus[1]}, nil
}

// pin binds the calling goroutine's thread to the which'th CPU of pinCPUs
// (0: parent, 1: child) when on is set. The returned function undoes it:
// it restores the thread's CPU set before unlocking the thread, so no other
// goroutine inherits the binding.
func pin(on bool, which int) (unpin func(), err error) {
	if !on {
		return func() {}, nil
	}
	cpus, err := pinCPUs()
	if err != nil {
		return nil, err
	}
	runtime.LockOSThread()
	old, err := getAffinity()
	if err != nil {
		runtime.UnlockOSThread()
		return nil, fmt.Errorf("sched_getaffinity: %w", err)
	}
	var m cpuMask
	cpu := cpus[which]
	m[cpu/64] = 1 << (cpu % 64)
	if err := setAffinity(&m); err != nil {
		runtime.UnlockOSThread()
		return nil, fmt.Errorf("sched_setaffinity: %w", err)
	}
	return func() {
		setAffinity(&old)
		runtime.UnlockOSThread()
	}, nil
}
