//go:build linux

package kernel

import (
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Futex operations without FUTEX_PRIVATE_FLAG: the word lives in a shared
// mapping and the waiter and the waker are different processes, which the
// private operations (keyed by the address space) would never match.
const (
	futexWait = 0 // FUTEX_WAIT
	futexWake = 1 // FUTEX_WAKE
)

// FutexWait sleeps while *addr == val, until a FutexWake on the same word,
// a signal, or timeout (negative: no timeout). It returns nil when woken,
// when *addr already differed from val (EAGAIN: the caller re-checks its
// condition either way) and on EINTR (a spurious wake, allowed by every
// futex protocol); ErrTimeout when the timeout elapsed.
//
// The goroutine holds its OS thread while it sleeps in the kernel.
func FutexWait(addr *uint32, val uint32, timeout time.Duration) error {
	var tsp *unix.Timespec
	if timeout >= 0 {
		ts := unix.NsecToTimespec(int64(timeout))
		tsp = &ts
	}
	_, _, errno := unix.Syscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(addr)),
		futexWait, uintptr(val), uintptr(unsafe.Pointer(tsp)), 0, 0)
	switch errno {
	case 0, unix.EAGAIN, unix.EINTR:
		return nil
	case unix.ETIMEDOUT:
		return ErrTimeout
	default:
		return errnoErr("futex wait", errno)
	}
}

// FutexWake wakes at most n waiters sleeping on addr and reports how many
// it woke.
func FutexWake(addr *uint32, n int) (int, error) {
	r, _, errno := unix.Syscall6(unix.SYS_FUTEX, uintptr(unsafe.Pointer(addr)),
		futexWake, uintptr(n), 0, 0, 0)
	if errno != 0 {
		return 0, errnoErr("futex wake", errno)
	}
	return int(r), nil
}
