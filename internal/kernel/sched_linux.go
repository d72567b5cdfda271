//go:build linux

package kernel

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// The scheduler calls of bench's pinned mode and of spinners that give way
// to a peer sharing their core.

// ThreadCPUs returns, in increasing order, the CPUs the calling thread may
// run on (sched_getaffinity on the thread, not the process). The answer
// holds for the goroutine only while it holds its OS thread
// (runtime.LockOSThread).
func ThreadCPUs() ([]int, error) {
	var set unix.CPUSet
	if err := unix.SchedGetaffinity(0, &set); err != nil {
		return nil, fmt.Errorf("sched_getaffinity: %w", err)
	}
	var cpus []int
	for cpu := range len(set) * 64 {
		if set.IsSet(cpu) {
			cpus = append(cpus, cpu)
		}
	}
	return cpus, nil
}

// SetThreadCPUs binds the calling thread to cpus (sched_setaffinity). The
// caller must hold its OS thread (runtime.LockOSThread) until it has
// restored the thread's former set: a goroutine that unlocked a bound
// thread would hand the binding to whatever the runtime runs there next.
func SetThreadCPUs(cpus []int) error {
	var set unix.CPUSet
	for _, cpu := range cpus {
		if cpu < 0 || cpu >= len(set)*64 {
			return fmt.Errorf("sched_setaffinity: CPU %d out of range: %w", cpu, unix.EINVAL)
		}
		set.Set(cpu)
	}
	if err := unix.SchedSetaffinity(0, &set); err != nil {
		return fmt.Errorf("sched_setaffinity %v: %w", cpus, err)
	}
	return nil
}

// Yield gives the calling thread's core to another runnable thread, if
// there is one (sched_yield). It cannot fail on Linux, so it returns
// nothing.
func Yield() { unix.Syscall(unix.SYS_SCHED_YIELD, 0, 0, 0) }
