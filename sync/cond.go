package sync

import (
	"context"
	"errors"
	"fmt"
	"structs"
	"sync/atomic"

	"github.com/shmkit/shmkit/internal/owner"
	"github.com/shmkit/shmkit/shm"
)

// Cond is a condition variable in shared memory with its own robust lock:
// Python's multiprocessing.Condition. Hold the lock (Lock, or L()) while
// testing the condition and calling Wait; Wait releases it while asleep and
// holds it again when it returns.
//
// Notify(n) wakes exactly min(n, waiting) of the processes in Wait; Signal
// is Notify(1) and Broadcast wakes all of them. Wait may still return
// without a notification (spurious wake-ups, as every condition variable
// allows): always wait in a loop that re-tests the condition. Waiters are
// not woken in arrival order: a process that enters Wait after a Notify
// may take the wake-up an earlier waiter would have had (the earlier one
// sleeps on, still counted, and the next Notify is for it).
//
// A process that dies inside Wait leaves nothing stuck: while asleep it
// holds nothing, and if it dies holding the lock the next locker gets
// ErrOwnerDead. It does stay counted as a waiter, so a later Notify may
// count it among those it wakes; the surplus wake-up then makes some
// later Wait return at once (a spurious wake-up).
type Cond struct {
	obj *shm.Object
	l   *condLayout
	mu  *Mutex
}

// condLayout: the lock, then the sequence word (the futex word of
// waiters) and the wake counts on their own lines: lockers and signallers
// write different words.
//
// Counts packs two 32-bit counts, changed together by one CAS:
//
//	bits  0..31  permits: wake-ups notified and not yet taken
//	bits 32..63  sleepers: processes in Wait not yet notified
//
// Invariant (no deaths): sleepers + permits = processes in Wait. Wait adds
// a sleeper; Notify(n) turns min(n, sleepers) sleepers into permits and
// bumps Seq to wake them; a waiter returns by taking a permit, so exactly
// as many return as were notified. A waiter whose context ends takes a
// permit if there is one (it was notified: no wake-up is lost), else
// removes a sleeper.
type condLayout struct {
	_      structs.HostLayout
	Lock   owner.Lock
	_      [shm.CacheLinePad - LockSize]byte
	Seq    uint32 // atomic: incremented by every Notify that wakes anyone
	W      owner.Waiters
	_      uint32
	Counts uint64 // atomic: sleepers<<32 | permits
	_      [shm.CacheLinePad - 24]byte
}

const (
	sleeperOne  = 1 << 32
	permitsMask = 1<<32 - 1
)

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
	return &Cond{obj: o, l: layoutAt[condLayout](o.Bytes()), mu: mu}, nil
}

// L returns the Cond's lock.
func (c *Cond) L() *Mutex { return c.mu }

// Lock acquires the Cond's lock (see Mutex.Lock).
func (c *Cond) Lock(ctx context.Context) error { return c.mu.Lock(ctx) }

// Unlock releases the Cond's lock (see Mutex.Unlock).
func (c *Cond) Unlock() error { return c.mu.Unlock() }

// Wait releases the lock, which the caller holds, sleeps until a Notify
// counts it (or spuriously), and takes the lock again before it returns,
// even when ctx ends first (then with ctx's error, wrapped). An error from
// re-locking is returned as Mutex.Lock returns it: with ErrOwnerDead the
// lock is held; with ErrNotRecoverable it is not.
//
// Protocol: the waiter counts itself as a sleeper while it holds the lock,
// so a Notify issued after the caller tested its condition (which needs
// the lock) sees it. It then sleeps on Seq until it can take a permit.
func (c *Cond) Wait(ctx context.Context) error {
	atomic.AddUint64(&c.l.Counts, sleeperOne)
	seq := atomic.LoadUint32(&c.l.Seq)
	if err := c.mu.Unlock(); err != nil {
		c.leave()
		return fmt.Errorf("cond %q wait: %w", c.obj.Name(), err)
	}
	var werr error
	for n := 0; !c.takePermit(); n++ {
		if _, err := owner.Sleep(ctx, &c.l.Seq, &c.l.W, seq, n); err != nil {
			if !c.leave() {
				werr = fmt.Errorf("cond %q wait: %w", c.obj.Name(), err)
			}
			break
		}
		seq = atomic.LoadUint32(&c.l.Seq)
	}
	// Re-lock even when ctx ended: the caller's defer unlocks.
	if err := c.mu.Lock(context.WithoutCancel(ctx)); err != nil {
		return errors.Join(werr, err)
	}
	return werr
}

// takePermit takes one notified wake-up, if any.
func (c *Cond) takePermit() bool {
	for {
		v := atomic.LoadUint64(&c.l.Counts)
		if v&permitsMask == 0 {
			return false
		}
		if atomic.CompareAndSwapUint64(&c.l.Counts, v, v-1) {
			return true
		}
	}
}

// leave takes a waiter out of Wait early: it takes a permit if one is
// there (and reports that it was notified after all), else it removes a
// sleeper.
func (c *Cond) leave() (notified bool) {
	for {
		v := atomic.LoadUint64(&c.l.Counts)
		switch {
		case v&permitsMask != 0:
			if atomic.CompareAndSwapUint64(&c.l.Counts, v, v-1) {
				return true
			}
		case v>>32 != 0:
			if atomic.CompareAndSwapUint64(&c.l.Counts, v, v-sleeperOne) {
				return false
			}
		default:
			return false // counts damaged (a hostile write): nothing to undo
		}
	}
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

// Notify wakes exactly min(n, waiting) processes in Wait and returns how
// many: Python's notify(n). Call it holding the lock, as Python requires,
// so that a waiter between testing its condition and Wait is counted.
func (c *Cond) Notify(n int) int {
	if n <= 0 {
		return 0
	}
	for {
		v := atomic.LoadUint64(&c.l.Counts)
		k := min(uint64(n), v>>32)
		if k == 0 {
			return 0
		}
		if atomic.CompareAndSwapUint64(&c.l.Counts, v, v-k*sleeperOne+k) {
			atomic.AddUint32(&c.l.Seq, 1)
			// Wake all sleepers on Seq: the futex cannot tell the
			// counted from the ones about to sleep; those that find no
			// permit sleep again.
			owner.Wake(&c.l.Seq, &c.l.W, owner.WakeAll)
			return int(k)
		}
	}
}

// Signal wakes one process waiting in Wait, if any: Notify(1).
func (c *Cond) Signal() { c.Notify(1) }

// Broadcast wakes every process waiting in Wait: Python's notify_all.
func (c *Cond) Broadcast() { c.Notify(1 << 31) }

// Waiting is the number of processes in Wait that no Notify has counted
// yet (a process killed in Wait stays counted).
func (c *Cond) Waiting() int { return int(atomic.LoadUint64(&c.l.Counts) >> 32) }

// Handle returns the shm handle of c's object.
func (c *Cond) Handle() shm.Handle { return c.obj.Handle() }

// MarshalBinary encodes c's handle (for gob, and children).
func (c *Cond) MarshalBinary() ([]byte, error) { return marshal(c.obj) }

// UnmarshalBinary attaches the Cond a marshalled handle names, in this
// process (gob and package process use it).
func (c *Cond) UnmarshalBinary(b []byte) error { return shm.UnmarshalHandle(b, c) }

// AttachHandle attaches c to the Cond h names (see shm.AttachAs).
func (c *Cond) AttachHandle(h shm.Handle) error {
	o, err := attach(h, shm.KindCond, condSize)
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
	v := atomic.LoadUint64(&c.l.Counts)
	if v>>32 != 0 {
		s += fmt.Sprintf("; %d waiting", v>>32)
	}
	if v&permitsMask != 0 {
		s += fmt.Sprintf("; %d notified, not yet awake", v&permitsMask)
	}
	return s
}
