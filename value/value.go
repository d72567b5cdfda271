package value

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/shmkit/shmkit/shm"
)

// Value is a T of any fixed size without pointers (see Check) in shared
// memory, read without locks and never torn: Python's
// multiprocessing.Value for structs.
//
// Load is a sequence-lock read over two copies: writers (Store, Update,
// serialised by the value's robust lock) fill the copy that is not
// published, then publish it by incrementing the sequence number; a reader
// copies the published one and retries only if a publication happened
// meanwhile. Readers never block writers or each other, and a writer
// killed mid-write leaves only the unpublished copy torn: readers go on
// seeing the last complete value, and the next writer takes the lock over
// (the dead writer's update is lost, nothing else).
type Value[T any] struct {
	base
	seq   *uint64
	words int // words per copy
	// scratch is Update's copy of the value, used only under the lock. A
	// T on Update's stack would go to the heap, as every variable whose
	// address goes to an unknown function does: one allocation per call.
	scratch *T
}

// New allocates a Value called name in seg holding initial.
func New[T any](seg *shm.Segment, name string, initial T, opts ...Option) (*Value[T], error) {
	ti, err := infoOf[T](flavorValue)
	if err != nil {
		return nil, fmt.Errorf("value %q: %w", name, err)
	}
	o, err := create(seg, name, ti, bytesOf(&initial, ti.size), opts)
	if err != nil {
		return nil, err
	}
	return valueOf[T](o, ti)
}

// Open finds the Value called name in seg; it must have been created with
// a T of the same layout (else shm.ErrWrongKind).
func Open[T any](seg *shm.Segment, name string) (*Value[T], error) {
	ti, err := infoOf[T](flavorValue)
	if err != nil {
		return nil, fmt.Errorf("value %q: %w", name, err)
	}
	o, err := open(seg, name, ti)
	if err != nil {
		return nil, err
	}
	return valueOf[T](o, ti)
}

func valueOf[T any](o *shm.Object, ti typeInfo) (*Value[T], error) {
	b, err := newBase(o, ti)
	if err != nil {
		return nil, err
	}
	return &Value[T]{base: b, seq: &hdr(o.Bytes()).Seq, words: stride(ti.size) / 8, scratch: new(T)}, nil
}

// copyAt is the data words of copy i (0 or 1).
func (v *Value[T]) copyAt(i uint64) []uint64 {
	n := uint64(v.words)
	return v.data[(i&1)*n : (i&1)*n+n]
}

// Load returns the current value. It never blocks and never returns a
// torn value. It retries when a write was published during its copy, so
// writers that publish without pause faster than one copy of T can delay
// it (readers never delay writers).
func (v *Value[T]) Load() (x T) {
	for {
		s := atomic.LoadUint64(v.seq) // pairs with the publishing store in write
		readWords(bytesOf(&x, v.size), v.copyAt(s))
		// Unchanged: no writer published during the copy, so none wrote
		// copy s&1 (a writer writes copy s&1 only after publishing s+1).
		if atomic.LoadUint64(v.seq) == s {
			return x
		}
	}
}

// Store sets the value, under the value's lock (waiting for it until ctx
// ends).
func (v *Value[T]) Store(ctx context.Context, x T) error {
	if err := v.lock(ctx); err != nil {
		return fmt.Errorf("storing value %q: %w", v.obj.Name(), err)
	}
	defer v.mu.Unlock()
	v.publish(&x)
	return nil
}

// Update calls fn with a copy of the current value under the value's lock
// and publishes what fn leaves in it: a read-modify-write that no other
// Update or Store interleaves with. It waits for the lock until ctx ends.
// fn must not block for long (others wait), nor call methods of v that
// lock, nor keep the pointer after it returns (the copy is reused). If fn
// panics, nothing is published and the lock is released.
func (v *Value[T]) Update(ctx context.Context, fn func(*T)) error {
	if err := v.lock(ctx); err != nil {
		return fmt.Errorf("updating value %q: %w", v.obj.Name(), err)
	}
	defer v.mu.Unlock()
	x := v.scratch // ours while we hold the lock
	readWords(bytesOf(x, v.size), v.copyAt(atomic.LoadUint64(v.seq)))
	fn(x)
	v.publish(x)
	return nil
}

// publish writes *x into the unpublished copy and publishes it. The
// caller holds the lock.
func (v *Value[T]) publish(x *T) {
	s := atomic.LoadUint64(v.seq) // stable: only lock holders change it
	writeWords(v.copyAt(s+1), bytesOf(x, v.size))
	atomic.StoreUint64(v.seq, s+1) // publish: pairs with the loads in Load
}

// Seq returns the number of updates published so far.
func (v *Value[T]) Seq() uint64 { return atomic.LoadUint64(v.seq) }

// UnmarshalBinary attaches the Value a marshalled handle names, in this
// process (gob and package process use it).
func (v *Value[T]) UnmarshalBinary(b []byte) error { return shm.UnmarshalHandle(b, v) }

// AttachHandle attaches v to the Value h names (see shm.AttachAs); it must
// hold the same T (else shm.ErrWrongKind).
func (v *Value[T]) AttachHandle(h shm.Handle) error {
	ti, err := infoOf[T](flavorValue)
	if err != nil {
		return err
	}
	o, err := attach(h, ti)
	if err != nil {
		return err
	}
	n, err := valueOf[T](o, ti)
	if err != nil {
		return err
	}
	*v = *n
	return nil
}
