package sync

import (
	"context"
	"runtime"
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

// spinner is an adaptive spin budget, private to one process's handle of an
// object: it doubles when a spin ended in success and halves when the
// waiter had to sleep.
type spinner struct{ limit atomic.Int32 }

const (
	minSpin = 32
	maxSpin = 4096
)

func (s *spinner) budget() int {
	n := int(s.limit.Load())
	if n == 0 {
		return 512
	}
	return n
}

func (s *spinner) won() {
	s.limit.Store(int32(min(s.budget()*2, maxSpin)))
}

func (s *spinner) lost() {
	s.limit.Store(int32(max(s.budget()/2, minSpin)))
}

// pause is one step of a spin: a yield to other goroutines now and then.
func pause(i int) {
	if i%yieldEvery == yieldEvery-1 {
		runtime.Gosched()
	}
}

// backoff is the futex timeout for the n-th sleep of one wait.
func backoff(n int) time.Duration {
	if n >= 6 {
		return maxSleep
	}
	return min(minSleep<<n, maxSleep)
}

// sleep waits on addr while it holds val, for at most backoff(n) and not
// past ctx's deadline, counting itself in *sleepers meanwhile so that
// wakers know to call FUTEX_WAKE. It reports whether the sleep ended by
// timeout (the caller then checks liveness) and ctx's error once ctx is
// done. A nil result with timedOut false means "woken or the word changed":
// the caller re-checks its condition.
//
// Ordering: the sleeper count is incremented (a sequentially consistent
// add) before FUTEX_WAIT re-reads the word in the kernel; a waker stores
// the word and then loads the count. Either the waker sees the sleeper and
// wakes it, or the kernel sees the new word and does not sleep.
func sleep(ctx context.Context, addr, sleepers *uint32, val uint32, n int) (timedOut bool, err error) {
	if err := ctx.Err(); err != nil {
		return false, err
	}
	d := backoff(n)
	if dl, ok := ctx.Deadline(); ok {
		left := time.Until(dl)
		if left <= 0 {
			return false, ctx.Err()
		}
		d = min(d, left)
	}
	atomic.AddUint32(sleepers, 1)
	err = kernel.FutexWait(addr, val, d)
	atomic.AddUint32(sleepers, ^uint32(0))
	if err == kernel.ErrTimeout {
		return true, ctx.Err()
	}
	if err != nil {
		return false, err
	}
	return false, ctx.Err()
}

// wake wakes up to n sleepers on addr if the sleeper count says any sleep.
// It pairs with the count increment in sleep: callers store the word first.
func wake(addr, sleepers *uint32, n int) {
	if atomic.LoadUint32(sleepers) != 0 {
		kernel.FutexWake(addr, n) // an error here leaves sleepers to their timeout
	}
}

const wakeAll = 1 << 30
