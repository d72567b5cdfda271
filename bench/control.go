package bench

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/shmkit/shmkit/internal/kernel"
	"github.com/shmkit/shmkit/shm"
)

// control is a case's starting gate and finish line, in shared memory so
// that children in other processes see it. Three 32-bit words, each on its
// own pair of cache lines (shm.CacheLinePad):
//
//	ready  each party adds 1 once its end is open          (parties write)
//	start  the parent stores 1 to start the timed part      (parent writes)
//	done   each party adds 1 once its timed part is over    (parties write)
//
// The parent waits for ready == n, reads the clock, stores start = 1 and
// wakes every sleeper; it reads the clock again when done == n. Both
// waits sleep in a futex (shared, not PRIVATE) with a short timeout so a
// cancelled context ends them; a wake only follows the store it announces,
// and every waiter re-checks the word, so a lost wake costs one timeout.
//
// Why kernel's futex wrappers and not a package sync primitive: the gate
// is a count that must reach n (parties arriving in any order), and the
// parent must read the clock between the last arrival and the release.
// sync.Event is one bit and sync.Barrier releases every party at once,
// including the parent, with its own peer checks on the way; and the
// harness should not time itself with the locks some scenarios measure.
// Three counters and typed FutexWait/FutexWake are the whole protocol.
type control struct {
	obj                *shm.Object
	ready, start, done *uint32
}

const (
	ctlReady = 0 * shm.CacheLinePad
	ctlStart = 1 * shm.CacheLinePad
	ctlDone  = 2 * shm.CacheLinePad
	ctlSize  = 3 * shm.CacheLinePad
	ctlName  = "bench-control"
	ctlSlice = 20 * time.Millisecond // longest futex sleep between checks
)

func newControl(seg *shm.Segment) (*control, error) {
	obj, err := seg.Alloc(ctlName, ctlSize, shm.CacheLinePad)
	if err != nil {
		return nil, err
	}
	return controlOf(obj)
}

// attachControl finds the control block a parent passed as a handle.
func attachControl(hb []byte) (*control, error) {
	var h shm.Handle
	if err := h.UnmarshalBinary(hb); err != nil {
		return nil, fmt.Errorf("control handle: %w", err)
	}
	obj, err := shm.Attach(h, shm.KindBytes, 0)
	if err != nil {
		return nil, fmt.Errorf("attaching control block: %w", err)
	}
	return controlOf(obj)
}

func controlOf(obj *shm.Object) (*control, error) {
	b := obj.Bytes()
	if len(b) < ctlSize || uintptr(unsafe.Pointer(&b[0]))%4 != 0 {
		return nil, fmt.Errorf("control block of %d bytes: %w", len(b), shm.ErrCorrupt)
	}
	return &control{
		obj:   obj,
		ready: (*uint32)(unsafe.Pointer(&b[ctlReady])),
		start: (*uint32)(unsafe.Pointer(&b[ctlStart])),
		done:  (*uint32)(unsafe.Pointer(&b[ctlDone])),
	}, nil
}

func (c *control) handle() []byte {
	b, _ := c.obj.Handle().MarshalBinary()
	return b
}

// arrive announces that one party is ready and waits for the start.
func (c *control) arrive(ctx context.Context) error {
	atomic.AddUint32(c.ready, 1)
	if err := wakeAll(c.ready); err != nil {
		return err
	}
	return waitWord(ctx, c.start, 1)
}

// finish announces that one party's timed part is over.
func (c *control) finish() error {
	atomic.AddUint32(c.done, 1)
	return wakeAll(c.done)
}

// open waits for n parties to be ready, then starts them and returns the
// start time.
func (c *control) open(ctx context.Context, n uint32) (time.Time, error) {
	if err := waitWord(ctx, c.ready, n); err != nil {
		return time.Time{}, err
	}
	t := time.Now()
	atomic.StoreUint32(c.start, 1)
	return t, wakeAll(c.start)
}

// waitDone waits for n parties to finish and returns the time it saw them.
func (c *control) waitDone(ctx context.Context, n uint32) (time.Time, error) {
	if err := waitWord(ctx, c.done, n); err != nil {
		return time.Time{}, err
	}
	return time.Now(), nil
}

// wakeAll wakes every sleeper on w, after the store it announces.
func wakeAll(w *uint32) error {
	if _, err := kernel.FutexWake(w, math.MaxInt32); err != nil {
		return fmt.Errorf("bench control: %w", err)
	}
	return nil
}

// waitWord waits until *w >= n, sleeping in slices of ctlSlice so that a
// cancelled ctx (or a lost wake) costs at most one slice.
func waitWord(ctx context.Context, w *uint32, n uint32) error {
	for spins := 0; ; spins++ {
		v := atomic.LoadUint32(w)
		if v >= n {
			return nil
		}
		if spins < 64 {
			continue
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		err := kernel.FutexWait(w, v, ctlSlice)
		if err != nil && !errors.Is(err, kernel.ErrTimeout) {
			return fmt.Errorf("bench control: %w", err)
		}
	}
}
