package manager

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"structs"
	"sync/atomic"
	"time"

	"github.com/shmkit/shmkit/internal/kernel"
)

// stripeLock is the robust lock of one stripe of a table: 16 bytes in
// shared memory.
//
//	offset  size  field
//	0       8     Word: owner id (atomic); 0 = unlocked
//	8       4     Sleepers: processes asleep in FUTEX_WAIT on Word (atomic)
//	12      4     reserved, zero
//
// The owner id packs the pid (bits 0..23, Linux caps pids at 2^22) and the
// low 32 bits of the process start time (bits 32..63), so that a reused pid
// is not mistaken for the dead owner. The low half of Word (the pid, at the
// word's address on little-endian hosts) is the futex word.
//
// Why not shmkit/sync.Mutex: the table needs no "inconsistent" state. Its
// write protocol (see table.go) makes every mutation visible by one atomic
// store, so a lock taken over from a dead owner protects a table that is
// already consistent, except for counters and leaked blocks, which the
// taker repairs at once (repair.go) before going on. A taker that dies
// while repairing leaves the same situation to the next taker: repair is
// idempotent.
type stripeLock struct {
	_        structs.HostLayout
	Word     uint64
	Sleepers uint32
	_        uint32
}

const lockSize = 16

const (
	pidMask  = 1<<24 - 1
	startOff = 32
	// spinLoads is the number of loads of a held word before sleeping;
	// critical sections of a table are a few hundred nanoseconds.
	spinLoads  = 256
	yieldEvery = 32
	minSleep   = time.Millisecond
	maxSleep   = 20 * time.Millisecond
)

// selfID is this process's packed owner id.
func selfID() (uint64, error) {
	pid, start := kernel.Self()
	if pid <= 0 || pid > pidMask {
		return 0, fmt.Errorf("pid %d does not fit a lock word: %w", pid, os.ErrInvalid)
	}
	return uint64(uint32(start))<<startOff | uint64(pid), nil
}

// ownerAlive reports whether the process named by id still runs. When /proc
// cannot tell, the answer is "alive": taking the lock of a live owner
// would break mutual exclusion, waiting longer breaks nothing.
func ownerAlive(id uint64) bool {
	pid := int(id & pidMask)
	if pid == 0 {
		return false
	}
	if me, _ := kernel.Self(); pid == me {
		return true
	}
	st, err := kernel.StartTime(pid)
	if err != nil {
		return !errors.Is(err, os.ErrNotExist) && !errors.Is(err, os.ErrProcessDone)
	}
	return uint32(st) == uint32(id>>startOff)
}

func (l *stripeLock) futex() *uint32 { return (*uint32)(unsafePointer(&l.Word)) }

// lock acquires l for me. It reports recovered = true when it took the lock
// over from a dead owner: the caller then repairs what the lock protects
// before using it. An error (the context's) means the lock is not held.
//
// Fast path: one CAS. Slow path: spin on loads, yielding now and then; then
// sleep in FUTEX_WAIT with a timeout growing from minSleep to maxSleep,
// counted in Sleepers so that unlock only wakes when someone sleeps; after
// every timed-out sleep, check the owner's liveness and take over from the
// dead with a CAS from the very word seen (so two takers cannot both win).
func (l *stripeLock) lock(ctx context.Context, me uint64) (recovered bool, err error) {
	if atomic.CompareAndSwapUint64(&l.Word, 0, me) {
		return false, nil
	}
	return l.lockSlow(ctx, me)
}

func (l *stripeLock) lockSlow(ctx context.Context, me uint64) (bool, error) {
	for i := range spinLoads {
		if atomic.LoadUint64(&l.Word) == 0 && atomic.CompareAndSwapUint64(&l.Word, 0, me) {
			return false, nil
		}
		if i%yieldEvery == yieldEvery-1 {
			runtime.Gosched()
		}
	}
	for n := 0; ; n++ {
		old := atomic.LoadUint64(&l.Word)
		if old == 0 {
			if atomic.CompareAndSwapUint64(&l.Word, 0, me) {
				return false, nil
			}
			continue
		}
		if err := ctx.Err(); err != nil {
			return false, fmt.Errorf("waiting for a stripe lock: %w", err)
		}
		d := min(minSleep<<min(n, 5), maxSleep)
		if dl, ok := ctx.Deadline(); ok {
			d = max(min(d, time.Until(dl)), time.Microsecond)
		}
		// Ordering: the sleeper count is raised before FUTEX_WAIT
		// re-reads the word in the kernel; unlock stores the word and
		// then loads the count. Either unlock sees the sleeper and wakes
		// it, or the kernel sees the changed word and does not sleep.
		atomic.AddUint32(&l.Sleepers, 1)
		werr := kernel.FutexWait(l.futex(), uint32(old), d)
		atomic.AddUint32(&l.Sleepers, ^uint32(0))
		if werr == kernel.ErrTimeout || n%8 == 7 {
			if !ownerAlive(old) && atomic.CompareAndSwapUint64(&l.Word, old, me) {
				return true, nil
			}
		}
	}
}

// tryLock acquires l if it is free, or held by a dead process (recovered),
// without waiting.
func (l *stripeLock) tryLock(me uint64) (ok, recovered bool) {
	if atomic.CompareAndSwapUint64(&l.Word, 0, me) {
		return true, false
	}
	old := atomic.LoadUint64(&l.Word)
	if old != 0 && !ownerAlive(old) && atomic.CompareAndSwapUint64(&l.Word, old, me) {
		return true, true
	}
	return false, false
}

// unlock releases l, which me holds, and wakes one sleeper if any sleeps.
// The word is stored (not CAS'd): only the holder writes a held word.
func (l *stripeLock) unlock() {
	atomic.StoreUint64(&l.Word, 0)
	if atomic.LoadUint32(&l.Sleepers) != 0 {
		kernel.FutexWake(l.futex(), 1) // an error leaves sleepers to their timeout
	}
}

// describe is the lock's state for shmkit inspect.
func (l *stripeLock) describe() string {
	w := atomic.LoadUint64(&l.Word)
	if w == 0 {
		return "unlocked"
	}
	state := "alive"
	if !ownerAlive(w) {
		state = "dead"
	}
	return fmt.Sprintf("locked by pid %d (%s)", w&pidMask, state)
}
