package sync

import (
	"context"
	"fmt"
	"structs"

	"github.com/shmkit/shmkit/internal/owner"
	"github.com/shmkit/shmkit/shm"
)

// Mutex is a robust mutual-exclusion lock in shared memory, held by a
// process (any goroutine of the owning process may unlock it, as with
// sync.Mutex; it is not reentrant: a process that locks it twice waits for
// itself until its context ends).
//
// The owner's pid and start time live in the lock word. A waiter that
// finds the owner dead (killed, crashed, exited without Unlock) takes the
// lock within about 50 ms and gets ErrOwnerDead: it holds the lock, and the
// state the lock protects may be half-updated. It repairs that state and
// calls MarkConsistent; unlocking without MarkConsistent makes the lock not
// recoverable and every later Lock fails with ErrNotRecoverable (the
// semantics of pthread robust mutexes). No lock is held forever by the dead.
//
// Uncontended, Lock and Unlock are one CAS each and no system call.
// Contended, Lock spins briefly, then sleeps in FUTEX_WAIT (holding its OS
// thread); a waiter that waited over a millisecond gets priority over
// newcomers, so no process starves for long.
//
// A Mutex handle is cheap: make one per process (NewMutex, OpenMutex, or
// decoding a handle sent by gob) and share it among goroutines.
type Mutex struct {
	obj      *shm.Object
	lw       *owner.Lock
	me       uint64
	embedded bool
	sp       owner.Spinner
}

// mutexLayout is the Mutex object: the lock word on its own two cache lines.
type mutexLayout struct {
	_    structs.HostLayout
	Lock owner.Lock
	_    [shm.CacheLinePad - LockSize]byte
}

const mutexSize = shm.CacheLinePad

// NewMutex allocates an unlocked Mutex called name in seg.
func NewMutex(seg *shm.Segment, name string) (*Mutex, error) {
	o, err := alloc(seg, name, shm.KindMutex, mutexSize, nil)
	if err != nil {
		return nil, err
	}
	return mutexOf(o, 0, false)
}

// OpenMutex finds the Mutex called name in seg.
func OpenMutex(seg *shm.Segment, name string) (*Mutex, error) {
	o, err := open(seg, name, shm.KindMutex, mutexSize)
	if err != nil {
		return nil, err
	}
	return mutexOf(o, 0, false)
}

// LockSize is the number of bytes a lock embedded in another object takes
// (see EmbedMutex); it must be 8-byte aligned.
const LockSize = owner.LockSize

// EmbedMutex returns a Mutex whose lock word lives at off inside o, an
// object of another kind (value.Value and array.Array use it for their
// locks). off must be 8-byte aligned with LockSize bytes room. An embedded
// Mutex has no handle of its own: pass its container's.
func EmbedMutex(o *shm.Object, off int) (*Mutex, error) {
	if off < 0 || off%8 != 0 || off > o.Size()-LockSize || o.Offset()%8 != 0 {
		return nil, fmt.Errorf("lock at %d in %s: misaligned or out of bounds: %w", off, o, shm.ErrCorrupt)
	}
	return mutexOf(o, off, true)
}

func mutexOf(o *shm.Object, off int, embedded bool) (*Mutex, error) {
	me, err := owner.SelfID()
	if err != nil {
		return nil, err
	}
	return &Mutex{obj: o, lw: owner.LockAt(o.Bytes()[off:]), me: me, embedded: embedded}, nil
}

// Lock acquires m, waiting until it is free or ctx ends (ctx's error,
// wrapped). A nil error or ErrOwnerDead means m is held; any other error
// (ErrNotRecoverable, the context's) means it is not.
func (m *Mutex) Lock(ctx context.Context) error {
	err := m.lw.Lock(ctx, m.me, &m.sp)
	if err == nil || err == ErrOwnerDead {
		raceAcquire(m.lw)
	}
	return err
}

// TryLock acquires m if it is free, or held by a dead process (then with
// ErrOwnerDead, as Lock), and never waits. Checking the holder's liveness
// reads /proc, so a TryLock on a held lock costs a few microseconds.
func (m *Mutex) TryLock() (bool, error) {
	ok, err := m.lw.TryLock(m.me)
	if ok {
		raceAcquire(m.lw)
	}
	return ok, err
}

// Unlock releases m. Unlocking a Mutex this process does not hold is
// ErrNotOwner. Unlocking one acquired with ErrOwnerDead before
// MarkConsistent releases it as not recoverable and returns
// ErrNotRecoverable.
func (m *Mutex) Unlock() error {
	raceRelease(m.lw)
	return m.lw.Unlock(m.me)
}

// MarkConsistent declares the state protected by m repaired after Lock
// returned ErrOwnerDead. Only the holder may call it.
func (m *Mutex) MarkConsistent() error {
	return m.lw.MarkConsistent(m.me)
}

// Handle returns the shm handle of m's object (its container's when m is
// embedded).
func (m *Mutex) Handle() shm.Handle { return m.obj.Handle() }

// MarshalBinary encodes m's handle, so that m can be sent to a child
// process (gob uses it). An embedded Mutex cannot be sent alone.
func (m *Mutex) MarshalBinary() ([]byte, error) {
	if m.embedded {
		return nil, fmt.Errorf("marshalling a lock embedded in %s: send its container: %w", m.obj, shm.ErrWrongKind)
	}
	return marshal(m.obj)
}

// UnmarshalBinary attaches the Mutex a marshalled handle names, in this
// process (gob and package process use it).
func (m *Mutex) UnmarshalBinary(b []byte) error { return shm.UnmarshalHandle(b, m) }

// AttachHandle attaches m to the Mutex h names (see shm.AttachAs).
func (m *Mutex) AttachHandle(h shm.Handle) error {
	o, err := attach(h, shm.KindMutex, mutexSize)
	if err != nil {
		return err
	}
	n, err := mutexOf(o, 0, false)
	if err != nil {
		return err
	}
	*m = Mutex{obj: n.obj, lw: n.lw, me: n.me}
	return nil
}

// State describes m in one line: "unlocked", "locked by pid 123 (alive)".
func (m *Mutex) State() string { return m.lw.Describe() }

func (m *Mutex) String() string { return fmt.Sprintf("mutex %q: %s", m.obj.Name(), m.State()) }
