package value

import (
	"fmt"

	"github.com/shmkit/shmkit/shm"
	"github.com/shmkit/shmkit/sync"
)

// Option adjusts a new Value, Int, Float (or array.Array).
type Option func(*options)

type options struct{ lock *sync.Mutex }

// WithLock makes the new object use m, a Mutex object of the same segment,
// instead of a lock of its own: Python's Value(typecode, v, lock=l). Its
// Mutex() returns m's lock in every process, and Value.Store and Update
// (and an Array's Lock) take it, so several objects can share one lock. An
// Int's or Float's Update is a lock-free compare-and-swap and takes no
// lock at all; the shared lock is then for the caller's own critical
// sections (Mutex()).
func WithLock(m *sync.Mutex) Option { return func(o *options) { o.lock = m } }

// LockRef is the header word that records a shared lock for seg: the
// offset of its Mutex object, or 0 for none (for package array).
func LockRef(seg *shm.Segment, opts []Option) (uint64, error) {
	var o options
	for _, f := range opts {
		f(&o)
	}
	if o.lock == nil {
		return 0, nil
	}
	h := o.lock.Handle()
	if h.Kind != shm.KindMutex || h.SegmentID != seg.ID() || h.Offset == 0 {
		return 0, fmt.Errorf("a shared lock must be a Mutex object of the same segment (got %s %q in %q): %w", h.Kind, h.Object, h.Segment, shm.ErrWrongKind)
	}
	return h.Offset, nil
}

// LockOf is the lock of the object o whose header records ref (LockRef):
// its own at offset 0 when ref is 0, else the shared Mutex object.
func LockOf(o *shm.Object, ref uint64) (*sync.Mutex, error) {
	if ref == 0 {
		return sync.EmbedMutex(o, 0)
	}
	m, err := sync.MutexAt(o.Segment(), ref)
	if err != nil {
		return nil, fmt.Errorf("%s: shared lock: %w", o, err)
	}
	return m, nil
}
