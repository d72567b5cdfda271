package owner

import (
	"context"
	"runtime"
	"structs"
	"sync/atomic"
	"time"

	"github.com/shmkit/shmkit/internal/kernel"
)

// Blocking in this package is spin, then sleep in the kernel.
//
// Spin: a bounded number of loads of the word, yielding the processor to
// other goroutines every yieldEvery loads. On the 2-core machines shmkit
// targets a spinning handoff costs ~0.2 µs and a futex wake 4–10 µs, so a
// short spin pays; an unbounded one steals the core the holder needs.
//
// Sleep: FUTEX_WAIT on a 32-bit word with a timeout that grows from
// minSleep to maxSleep. The timeout is what bounds recovery: a waiter
// asleep behind a process that was killed wakes within maxSleep, checks the
// owner's liveness and takes over. Wakers call FUTEX_WAKE only when the
// sleeper count of the object is not zero.
//
// A goroutine asleep in FUTEX_WAIT holds its OS thread.
const (
	yieldEvery = 64
	minSleep   = time.Millisecond
	maxSleep   = 50 * time.Millisecond
)

// Spinner is an adaptive spin budget, private to one process's handle of an
// object: it doubles when a spin ended in success and halves when the
// waiter had to sleep.
type Spinner struct{ limit atomic.Int32 }

const (
	minSpin = 32
	maxSpin = 4096
)

func (s *Spinner) Budget() int {
	n := int(s.limit.Load())
	if n == 0 {
		return 512
	}
	return n
}

func (s *Spinner) Won() {
	s.limit.Store(int32(min(s.Budget()*2, maxSpin)))
}

func (s *Spinner) Lost() {
	s.limit.Store(int32(max(s.Budget()/2, minSpin)))
}

// Pause is one step of a spin: a yield to other goroutines now and then.
func Pause(i int) {
	if i%yieldEvery == yieldEvery-1 {
		runtime.Gosched()
	}
}

// Backoff is the futex timeout for the n-th sleep of one wait.
func Backoff(n int) time.Duration {
	if n >= 6 {
		return maxSleep
	}
	return min(minSleep<<n, maxSleep)
}

// Sleep waits on addr while it holds val, for at most Backoff(n) and not
// past ctx's deadline, counting itself in w.Sleepers meanwhile so that
// wakers know to call FUTEX_WAKE. It reports whether the sleep ended by
// timeout (the caller then checks liveness) and ctx's error once ctx is
// done. A nil result with timedOut false means "woken or the word changed":
// the caller re-checks its condition.
//
// Ordering: the sleeper count is incremented (a sequentially consistent
// add) before FUTEX_WAIT re-reads the word in the kernel; a waker stores
// the word and then loads the count. Either the waker sees the sleeper and
// wakes it, or the kernel sees the new word and does not sleep.
func Sleep(ctx context.Context, addr *uint32, w *Waiters, val uint32, n int) (timedOut bool, err error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	d := Backoff(n)
	if dl, ok := ctx.Deadline(); ok {
		left := time.Until(dl)
		if left <= 0 {
			// The deadline passed; ctx.Err may lag until its timer fires.
			return false, context.DeadlineExceeded
		}
		d = min(d, left)
	}
	atomic.AddUint32(&w.Sleepers, 1)
	err = kernel.FutexWait(addr, val, d)
	w.leave()
	if err == kernel.ErrTimeout {
		return true, ctx.Err()
	}
	if err != nil {
		return false, err
	}
	return false, ctx.Err()
}

// Waiters is the part of every object that tells wakers whether to call
// FUTEX_WAKE: 8 bytes, next to the futex word they serve.
//
//	offset  size  field
//	0       4     Sleepers: processes in (or entering) FUTEX_WAIT (atomic)
//	4       4     Futile: consecutive wakes that found no one asleep (atomic)
type Waiters struct {
	_        structs.HostLayout
	Sleepers uint32
	Futile   uint32
}

// HealAfter is the number of consecutive futile wakes after which a waker
// believes one counted sleeper is a dead process (see wake).
const HealAfter = 16

// leave takes a sleeper out of the count, which never goes below zero
// (see wake for why it may already be lower than the truth).
func (w *Waiters) leave() {
	for {
		c := atomic.LoadUint32(&w.Sleepers)
		if c == 0 || atomic.CompareAndSwapUint32(&w.Sleepers, c, c-1) {
			return
		}
	}
}

// Wake wakes up to n sleepers on addr if the sleeper count says any sleep.
// It pairs with the count increment in sleep: callers store the word first.
//
// The count heals itself. A process killed while asleep never takes itself
// out of the count, and without repair every later waker would pay a
// futile FUTEX_WAKE forever. A single futile wake proves nothing: a live
// waiter may be between its increment and FUTEX_WAIT. But HealAfter
// futile wakes in a row (any wake that finds a sleeper resets the streak)
// mean a counted sleeper is not in the kernel's queue for a long while: the
// waker then lowers the count by one. Should that one be alive after all,
// it is not lost: leave stops at zero, and its FUTEX_WAIT has a timeout.
func Wake(addr *uint32, w *Waiters, n int) {
	c := atomic.LoadUint32(&w.Sleepers)
	if c == 0 {
		return
	}
	woken, err := kernel.FutexWake(addr, n)
	switch {
	case err != nil: // leaves the sleepers to their timeouts
	case woken > 0:
		if atomic.LoadUint32(&w.Futile) != 0 {
			atomic.StoreUint32(&w.Futile, 0)
		}
	case atomic.AddUint32(&w.Futile, 1) >= HealAfter:
		atomic.StoreUint32(&w.Futile, 0)
		atomic.CompareAndSwapUint32(&w.Sleepers, c, c-1)
	}
}

const WakeAll = 1 << 30
