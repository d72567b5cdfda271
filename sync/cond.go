package sync

import (
	"context"
	"errors"
	"fmt"
	"structs"
	"sync/atomic"
	"unsafe"

	"github.com/shmkit/shmkit/internal/owner"
	"github.com/shmkit/shmkit/shm"
)

// Cond is a condition variable in shared memory with its own robust lock:
// Python's multiprocessing.Condition. Hold the lock (Lock, or L()) while
// testing the condition and calling Wait; Wait releases it while asleep and
// holds it again when it returns.
//
// Wait may return without a Signal (spurious wake-ups, as every condition
// variable allows): always wait in a loop that re-tests the condition.
// A process that dies inside Wait leaves nothing stuck: while asleep it
// holds nothing, and if it dies holding the lock the next locker gets
// ErrOwnerDead.
type Cond struct {
	obj *shm.Object
	l   *condLayout
	mu  *Mutex
}

// condLayout: the lock, then the sequence word (the futex word of
// waiters) on its own lines: lockers and signallers write different words.
type condLayout struct {
	_    structs.HostLayout
	Lock owner.Lock
	_    [shm.CacheLinePad - LockSize]byte
	Seq  uint32 // atomic: incremented by Signal and Broadcast
	W    owner.Waiters
	_    [shm.CacheLinePad - 12]byte
}

const condSize = 2 * shm.CacheLinePad

// NewCond allocates a Cond called name in seg, its lock unlocked.
func NewCond(seg *shm.Segment, name string) (*Cond, error) {
	o, err := alloc(seg, name, shm.KindCond, condSize, nil)
	if err != nil {
		return nil, err
	}
	return condOf(o)
}

// OpenCond finds the Cond called name in seg.
func OpenCond(seg *shm.Segment, name string) (*Cond, error) {
	o, err := open(seg, name, shm.KindCond, condSize)
	if err != nil {
		return nil, err
	}
	return condOf(o)
}

func condOf(o *shm.Object) (*Cond, error) {
	mu, err := EmbedMutex(o, 0)
	if err != nil {
		return nil, err
	}
	return &Cond{obj: o, l: (*condLayout)(unsafe.Pointer(&o.Bytes()[0])), mu: mu}, nil
}

// L returns the Cond's lock.
func (c *Cond) L() *Mutex { return c.mu }

// Lock acquires the Cond's lock (see Mutex.Lock).
func (c *Cond) Lock(ctx context.Context) error { return c.mu.Lock(ctx) }

// Unlock releases the Cond's lock (see Mutex.Unlock).
func (c *Cond) Unlock() error { return c.mu.Unlock() }

// Wait releases the lock, which the caller holds, sleeps until Signal or
// Broadcast (or spuriously), and takes the lock again before it returns,
// even when ctx ends first (then with ctx's error, wrapped). An error from
// re-locking is returned as Mutex.Lock returns it: with ErrOwnerDead the
// lock is held; with ErrNotRecoverable it is not.
//
// Protocol: the sequence number is read while the lock is held, so a
// Signal issued after the caller tested its condition (which needs the
// lock) changes the sequence before or after the read — after, and the
// futex wait sees a different word and does not sleep.
func (c *Cond) Wait(ctx context.Context) error {
	seq := atomic.LoadUint32(&c.l.Seq)
	if err := c.mu.Unlock(); err != nil {
		return fmt.Errorf("cond %q wait: %w", c.obj.Name(), err)
	}
	var werr error
	for n := 0; atomic.LoadUint32(&c.l.Seq) == seq; n++ {
		if _, err := owner.Sleep(ctx, &c.l.Seq, &c.l.W, seq, n); err != nil {
			werr = fmt.Errorf("cond %q wait: %w", c.obj.Name(), err)
			break
		}
	}
	// Re-lock even when ctx ended: the caller's defer unlocks.
	if err := c.mu.Lock(context.WithoutCancel(ctx)); err != nil {
		return errors.Join(werr, err)
	}
	return werr
}

// WaitFor waits until pred, called with the lock held, returns true:
// Python's wait_for. The caller holds the lock, and holds it again when
// WaitFor returns, with nil once pred is true or Wait's error otherwise.
func (c *Cond) WaitFor(ctx context.Context, pred func() bool) error {
	for !pred() {
		if err := c.Wait(ctx); err != nil {
			return err
		}
	}
	return nil
}

// Signal wakes at least one process waiting in Wait, if any.
func (c *Cond) Signal() {
	atomic.AddUint32(&c.l.Seq, 1)
	owner.Wake(&c.l.Seq, &c.l.W, 1)
}

// Broadcast wakes every process waiting in Wait.
func (c *Cond) Broadcast() {
	atomic.AddUint32(&c.l.Seq, 1)
	owner.Wake(&c.l.Seq, &c.l.W, owner.WakeAll)
}

// Handle returns the shm handle of c's object.
func (c *Cond) Handle() shm.Handle { return c.obj.Handle() }

// MarshalBinary encodes c's handle (for gob, and children).
func (c *Cond) MarshalBinary() ([]byte, error) { return marshal(c.obj) }

// UnmarshalBinary attaches the Cond a handle names.
func (c *Cond) UnmarshalBinary(b []byte) error {
	o, err := attach(b, shm.KindCond, condSize)
	if err != nil {
		return err
	}
	n, err := condOf(o)
	if err != nil {
		return err
	}
	*c = *n
	return nil
}

func (c *Cond) describe() string {
	s := "lock " + c.l.Lock.Describe()
	if n := atomic.LoadUint32(&c.l.W.Sleepers); n != 0 {
		s += fmt.Sprintf("; %d waiting", n)
	}
	return s
}
