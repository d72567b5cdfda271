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

// RLock is a reentrant robust lock in shared memory: Python's
// multiprocessing.RLock, with one difference Go imposes. Python's RLock is
// owned by a thread; Go has no goroutine identity, so an RLock is owned by
// a handle: Lock through a handle that already holds the lock only counts
// one level deeper, and the lock is released when Unlock through that
// handle has matched every Lock. Goroutines that must exclude each other
// use separate handles (OpenRLock in each); recursive code in one goroutine
// shares one.
//
// Across processes it is a Mutex (see there): the owner's pid and start
// time are in the lock word, and a process that dies holding the lock, at
// any depth, is replaced by the next locker with ErrOwnerDead.
type RLock struct {
	obj  *shm.Object
	l    *rlockLayout
	me   uint64
	sp   owner.Spinner
	held atomic.Int32 // depth held through this handle; 0 = not held
}

// rlockLayout: the lock word, and the depth (for shmkit inspect; written
// by the owner only).
type rlockLayout struct {
	_     structs.HostLayout
	Lock  owner.Lock
	Depth uint32 // atomic
	_     [shm.CacheLinePad - LockSize - 4]byte
}

const rlockSize = shm.CacheLinePad

// NewRLock allocates an unlocked RLock called name in seg.
func NewRLock(seg *shm.Segment, name string) (*RLock, error) {
	o, err := alloc(seg, name, shm.KindRLock, rlockSize, nil)
	if err != nil {
		return nil, err
	}
	return rlockOf(o)
}

// OpenRLock returns a new handle to the RLock called name in seg: a new
// owner, excluded by the lock from every other handle.
func OpenRLock(seg *shm.Segment, name string) (*RLock, error) {
	o, err := open(seg, name, shm.KindRLock, rlockSize)
	if err != nil {
		return nil, err
	}
	return rlockOf(o)
}

func rlockOf(o *shm.Object) (*RLock, error) {
	me, err := owner.SelfID()
	if err != nil {
		return nil, err
	}
	return &RLock{obj: o, l: layoutAt[rlockLayout](o.Bytes()), me: me}, nil
}

// Lock acquires r, or goes one level deeper if this handle holds it. It
// waits until ctx ends; nil or ErrOwnerDead mean the lock is held (see
// Mutex.Lock).
//
// Protocol: the depth changes only by CAS, so a re-entry (n -> n+1, n > 0)
// and a final Unlock (1 -> 0, then the lock word is released) never both
// succeed from the same n.
func (r *RLock) Lock(ctx context.Context) error {
	for {
		n := r.held.Load()
		if n == 0 {
			break
		}
		if r.held.CompareAndSwap(n, n+1) {
			atomic.StoreUint32(&r.l.Depth, uint32(n+1))
			return nil
		}
	}
	err := r.l.Lock.Lock(ctx, r.me, &r.sp)
	if err != nil && !errors.Is(err, ErrOwnerDead) {
		return err
	}
	raceAcquire(r.l)
	r.held.Store(1)
	atomic.StoreUint32(&r.l.Depth, 1)
	return err
}

// TryLock is Lock without waiting: it reports whether r is now held
// through this handle.
func (r *RLock) TryLock() (bool, error) {
	for {
		n := r.held.Load()
		if n == 0 {
			break
		}
		if r.held.CompareAndSwap(n, n+1) {
			atomic.StoreUint32(&r.l.Depth, uint32(n+1))
			return true, nil
		}
	}
	ok, err := r.l.Lock.TryLock(r.me)
	if ok {
		raceAcquire(r.l)
		r.held.Store(1)
		atomic.StoreUint32(&r.l.Depth, 1)
	}
	return ok, err
}

// Unlock leaves one level; the last releases the lock. Unlock through a
// handle that does not hold it is ErrNotOwner.
func (r *RLock) Unlock() error {
	for {
		n := r.held.Load()
		if n <= 0 {
			return fmt.Errorf("rlock %q: %w", r.obj.Name(), ErrNotOwner)
		}
		if !r.held.CompareAndSwap(n, n-1) {
			continue
		}
		atomic.StoreUint32(&r.l.Depth, uint32(n-1))
		if n > 1 {
			return nil
		}
		raceRelease(r.l)
		return r.l.Lock.Unlock(r.me)
	}
}

// MarkConsistent declares the protected state repaired after Lock returned
// ErrOwnerDead.
func (r *RLock) MarkConsistent() error { return r.l.Lock.MarkConsistent(r.me) }

// Depth returns how many times this handle holds the lock (0: not).
func (r *RLock) Depth() int { return int(r.held.Load()) }

// Owner returns the pid of the process holding the lock and how deep it
// holds it, as any process sees them (Python's RLock repr: owner and
// count); 0, 0 when it is free. A snapshot: it may change at once.
func (r *RLock) Owner() (pid, depth int) {
	w := atomic.LoadUint64(&r.l.Lock.Word)
	if w&owner.PidMask == 0 {
		return 0, 0
	}
	return owner.Pid(w), int(atomic.LoadUint32(&r.l.Depth))
}

// String is the lock's state, e.g. "RLock "r": locked by pid 12 (alive),
// depth 2".
func (r *RLock) String() string { return fmt.Sprintf("RLock %q: %s", r.obj.Name(), r.describe()) }

// Handle returns the shm handle of r's object.
func (r *RLock) Handle() shm.Handle { return r.obj.Handle() }

// MarshalBinary encodes r's handle (for gob, and children); the receiver
// gets a new owner.
func (r *RLock) MarshalBinary() ([]byte, error) { return marshal(r.obj) }

// UnmarshalBinary attaches the RLock a marshalled handle names, in this
// process (gob and package process use it).
func (r *RLock) UnmarshalBinary(b []byte) error { return shm.UnmarshalHandle(b, r) }

// AttachHandle attaches r to the RLock h names (see shm.AttachAs).
func (r *RLock) AttachHandle(h shm.Handle) error {
	o, err := attach(h, shm.KindRLock, rlockSize)
	if err != nil {
		return err
	}
	n, err := rlockOf(o)
	if err != nil {
		return err
	}
	r.obj, r.l, r.me = n.obj, n.l, n.me
	r.held.Store(0)
	return nil
}

func (r *RLock) describe() string {
	s := r.l.Lock.Describe()
	if w := atomic.LoadUint64(&r.l.Lock.Word); w&owner.PidMask != 0 {
		s += fmt.Sprintf(", depth %d", atomic.LoadUint32(&r.l.Depth))
	}
	return s
}
