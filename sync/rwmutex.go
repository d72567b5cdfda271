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

// RWMutex is a robust reader/writer lock in shared memory: any number of
// readers, or one writer. Writers have priority: once a writer waits, new
// readers wait behind it.
//
// Robustness. The write side is a robust lock (see Mutex): a writer that
// dies is replaced by the next writer with ErrOwnerDead, or, if readers
// find it first, the lock is freed but stays inconsistent and RLock returns
// ErrOwnerDead (the read lock held, the data suspect) until a writer takes
// the lock and calls MarkConsistent. Each reader holds a slot with its
// process id (MaxReaders slots; more concurrent readers wait for a free
// one); a writer waiting for readers clears the slots of dead ones, so a
// reader killed holding the lock delays writers by at most ~50 ms.
//
// Read locks are held per process: RUnlock frees one of this process's
// slots, whichever goroutine took it.
type RWMutex struct {
	obj *shm.Object
	l   *rwLayout
	me  uint64
	sp  owner.Spinner
}

// MaxReaders is the number of read locks an RWMutex can grant at once.
const MaxReaders = 64

// rwLayout: the writer's lock word; Drain, the futex word writers wait on
// while readers leave (every RUnlock increments it); the reader slots, each
// the id of a process holding a read lock, 0 when free.
type rwLayout struct {
	_       structs.HostLayout
	W       owner.Lock
	_       [shm.CacheLinePad - LockSize]byte
	Drain   uint32 // atomic
	DrainW  owner.Waiters
	_       [shm.CacheLinePad - 12]byte
	Readers [MaxReaders]uint64 // atomic
}

const rwSize = 2*shm.CacheLinePad + 8*MaxReaders

// NewRWMutex allocates an unlocked RWMutex called name in seg.
func NewRWMutex(seg *shm.Segment, name string) (*RWMutex, error) {
	o, err := alloc(seg, name, shm.KindRWMutex, rwSize, nil)
	if err != nil {
		return nil, err
	}
	return rwOf(o)
}

// OpenRWMutex finds the RWMutex called name in seg.
func OpenRWMutex(seg *shm.Segment, name string) (*RWMutex, error) {
	o, err := open(seg, name, shm.KindRWMutex, rwSize)
	if err != nil {
		return nil, err
	}
	return rwOf(o)
}

func rwOf(o *shm.Object) (*RWMutex, error) {
	me, err := owner.SelfID()
	if err != nil {
		return nil, err
	}
	return &RWMutex{obj: o, l: layoutAt[rwLayout](o.Bytes()), me: me}, nil
}

// Lock acquires the write lock: first the write side (as Mutex.Lock, with
// ErrOwnerDead when a writer died holding it), then waits for the readers
// to leave. If ctx ends meanwhile, it releases the write side untouched and
// returns ctx's error, wrapped.
func (rw *RWMutex) Lock(ctx context.Context) error {
	defer raceAcquire(rw.l)
	dead := rw.l.W.Lock(ctx, rw.me, &rw.sp)
	if dead != nil && !errors.Is(dead, ErrOwnerDead) {
		return dead
	}
	// Dekker with RLock: we stored W (above), then read the slots; a
	// reader stores its slot, then reads W. One of us sees the other.
	for n := 0; ; n++ {
		d := atomic.LoadUint32(&rw.l.Drain)
		if rw.readersGone(n > 0) {
			return dead
		}
		if _, err := owner.Sleep(ctx, &rw.l.Drain, &rw.l.DrainW, d, n); err != nil {
			rw.l.W.Abandon(rw.me)
			return fmt.Errorf("rwmutex %q: waiting for readers: %w", rw.obj.Name(), err)
		}
	}
}

// TryLock acquires the write lock if neither a writer nor a live reader
// holds it, without waiting (as Mutex.TryLock: a dead writer is taken
// over with ErrOwnerDead; dead readers' slots are not reaped here).
func (rw *RWMutex) TryLock() (bool, error) {
	ok, err := rw.l.W.TryLock(rw.me)
	if !ok {
		return false, err
	}
	if !rw.readersGone(false) {
		rw.l.W.Abandon(rw.me)
		return false, nil
	}
	raceAcquire(rw.l)
	return true, err
}

// TryRLock acquires a read lock if no writer holds or waits for the lock
// and a reader slot is free, without waiting. ErrOwnerDead as for RLock.
func (rw *RWMutex) TryRLock() (bool, error) {
	w := atomic.LoadUint64(&rw.l.W.Word)
	if w == owner.NotRecoverable {
		return false, fmt.Errorf("rwmutex %q: %w", rw.obj.Name(), ErrNotRecoverable)
	}
	if w&owner.PidMask != 0 {
		return false, nil
	}
	i := rw.claim()
	if i < 0 {
		return false, nil
	}
	if w = atomic.LoadUint64(&rw.l.W.Word); w&owner.PidMask != 0 {
		rw.release(i)
		return false, nil
	}
	raceAcquire(rw.l)
	if w&owner.InconsistentBit != 0 {
		return true, ErrOwnerDead
	}
	return true, nil
}

// readersGone reports whether no live reader holds a slot, clearing the
// slots of dead readers when reap is set (reading /proc for each).
func (rw *RWMutex) readersGone(reap bool) bool {
	for i := range rw.l.Readers {
		id := atomic.LoadUint64(&rw.l.Readers[i])
		if id == 0 {
			continue
		}
		if !reap || owner.Alive(id) {
			return false
		}
		atomic.CompareAndSwapUint64(&rw.l.Readers[i], id, 0)
	}
	return true
}

// reapReaders frees the slots of dead readers (reading /proc for each
// taken slot) and returns how many it freed.
func (rw *RWMutex) reapReaders() int {
	n := 0
	for i := range rw.l.Readers {
		id := atomic.LoadUint64(&rw.l.Readers[i])
		if id != 0 && !owner.Alive(id) && atomic.CompareAndSwapUint64(&rw.l.Readers[i], id, 0) {
			n++
		}
	}
	if n > 0 {
		rw.slotsFreed()
	}
	return n
}

// Unlock releases the write lock and wakes every waiting reader and writer.
func (rw *RWMutex) Unlock() error {
	raceRelease(rw.l)
	return rw.l.W.UnlockN(rw.me, owner.WakeAll)
}

// MarkConsistent declares the protected state repaired after Lock (or
// RLock) returned ErrOwnerDead. Only the writer may call it.
func (rw *RWMutex) MarkConsistent() error { return rw.l.W.MarkConsistent(rw.me) }

// RLock acquires a read lock, waiting while a writer holds or waits for the
// lock, until ctx ends. ErrOwnerDead means the read lock is held but a
// writer died mid-update (see the type's doc).
func (rw *RWMutex) RLock(ctx context.Context) error {
	defer raceAcquire(rw.l)
	for n := 0; ; n++ {
		w := atomic.LoadUint64(&rw.l.W.Word)
		if w == owner.NotRecoverable {
			return fmt.Errorf("rwmutex %q: %w", rw.obj.Name(), ErrNotRecoverable)
		}
		if w&owner.PidMask == 0 {
			i := rw.claim()
			if i >= 0 {
				w = atomic.LoadUint64(&rw.l.W.Word)
				if w&owner.PidMask == 0 {
					if w&owner.InconsistentBit != 0 {
						return ErrOwnerDead
					}
					return nil
				}
				rw.release(i) // a writer came: let it go first
			} else {
				// Every slot is taken. Slots of dead readers are freed
				// by whoever waits for one, reader or writer: with only
				// readers about, no writer would ever clear them.
				if rw.reapReaders() > 0 {
					continue
				}
				d := atomic.LoadUint32(&rw.l.Drain)
				if _, err := owner.Sleep(ctx, &rw.l.Drain, &rw.l.DrainW, d, n); err != nil {
					return fmt.Errorf("rwmutex %q: waiting for a reader slot: %w", rw.obj.Name(), err)
				}
				continue
			}
		}
		if n == 0 {
			if rw.spinWhileWriter() {
				continue
			}
		}
		timedOut, err := owner.Sleep(ctx, rw.l.W.Futex(), &rw.l.W.W, uint32(w), n)
		if err != nil {
			return fmt.Errorf("rwmutex %q: waiting for writer %s: %w", rw.obj.Name(), owner.Describe(w), err)
		}
		if timedOut && rw.l.W.TakeOver(w, rw.me) {
			// The writer died: free the write side, left inconsistent.
			rw.l.W.Abandon(rw.me)
		}
	}
}

// spinWhileWriter spins briefly for the writer to leave.
func (rw *RWMutex) spinWhileWriter() bool {
	for i := range rw.sp.Budget() {
		if atomic.LoadUint64(&rw.l.W.Word)&owner.PidMask == 0 {
			rw.sp.Won()
			return true
		}
		owner.Pause(i)
	}
	rw.sp.Lost()
	return false
}

// claim takes a free reader slot, or returns -1.
func (rw *RWMutex) claim() int {
	start := owner.Pid(rw.me) % MaxReaders // spread processes over the slots
	for k := range MaxReaders {
		i := (start + k) % MaxReaders
		if atomic.LoadUint64(&rw.l.Readers[i]) == 0 && atomic.CompareAndSwapUint64(&rw.l.Readers[i], 0, rw.me) {
			return i
		}
	}
	return -1
}

// release gives back the slot a claim took (slot i) and tells a draining
// writer.
//
// Slots hold a process's id, not a goroutine's, and RUnlock frees any slot
// of this process: so another goroutine's RUnlock may have freed slot i,
// and a third goroutine's claim taken it again, before this release. What
// stays true is the count: the slots holding this process's id are as many
// as its goroutines holding or claiming a read lock. So release frees slot
// i if it still holds this id, else any other slot that does, keeping the
// count. The obvious-but-wrong version, a plain store of 0 into slot i,
// freed the third goroutine's claim and left a slot held by no one: every
// writer then waited for it forever (TestRWMutexSlotsSharedByGoroutines;
// seen in CI as TestRWMutexGoroutines hanging).
func (rw *RWMutex) release(i int) {
	if !atomic.CompareAndSwapUint64(&rw.l.Readers[i], rw.me, 0) {
		rw.freeOwn()
	}
	rw.slotsFreed()
}

// slotsFreed tells a writer draining the readers that slots were freed.
func (rw *RWMutex) slotsFreed() {
	atomic.AddUint32(&rw.l.Drain, 1)
	owner.Wake(&rw.l.Drain, &rw.l.DrainW, owner.WakeAll)
}

// freeOwn frees one slot holding this process's id; false if none does.
func (rw *RWMutex) freeOwn() bool {
	start := owner.Pid(rw.me) % MaxReaders
	for k := range MaxReaders {
		i := (start + k) % MaxReaders
		if atomic.LoadUint64(&rw.l.Readers[i]) == rw.me && atomic.CompareAndSwapUint64(&rw.l.Readers[i], rw.me, 0) {
			return true
		}
	}
	return false
}

// RUnlock releases one read lock held by this process; ErrNotOwner if it
// holds none.
func (rw *RWMutex) RUnlock() error {
	raceRelease(rw.l)
	if !rw.freeOwn() {
		return fmt.Errorf("rwmutex %q: read unlock: %w", rw.obj.Name(), ErrNotOwner)
	}
	rw.slotsFreed()
	return nil
}

// Handle returns the shm handle of rw's object.
func (rw *RWMutex) Handle() shm.Handle { return rw.obj.Handle() }

// MarshalBinary encodes rw's handle (for gob, and children).
func (rw *RWMutex) MarshalBinary() ([]byte, error) { return marshal(rw.obj) }

// UnmarshalBinary attaches the RWMutex a marshalled handle names, in this
// process (gob and package process use it).
func (rw *RWMutex) UnmarshalBinary(b []byte) error { return shm.UnmarshalHandle(b, rw) }

// AttachHandle attaches rw to the RWMutex h names (see shm.AttachAs).
func (rw *RWMutex) AttachHandle(h shm.Handle) error {
	o, err := attach(h, shm.KindRWMutex, rwSize)
	if err != nil {
		return err
	}
	n, err := rwOf(o)
	if err != nil {
		return err
	}
	rw.obj, rw.l, rw.me = n.obj, n.l, n.me
	return nil
}

func (rw *RWMutex) describe() string {
	readers := 0
	for i := range rw.l.Readers {
		if atomic.LoadUint64(&rw.l.Readers[i]) != 0 {
			readers++
		}
	}
	return fmt.Sprintf("writer: %s; %d readers", rw.l.W.Describe(), readers)
}
