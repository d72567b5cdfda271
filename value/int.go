package value

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/shmkit/shmkit/shm"
)

// Integer is the integer types with 32- or 64-bit atomic instructions on
// every platform Go supports. (int8 and int16 have none: widen them, or
// keep them in a Value.)
type Integer interface {
	~int32 | ~int64 | ~uint32 | ~uint64 | ~int | ~uint | ~uintptr
}

// Int is an integer in shared memory with lock-free atomic operations:
// Python's multiprocessing.Value('i') without the lock on every access.
// The number is little-endian at Object().Offset() + DataOffset.
//
// Load, Store, Add, Swap and CompareAndSwap are single atomic
// instructions: a process killed at any point leaves a whole number.
// Update is a compare-and-swap loop on the same word (Python's
// "with v.get_lock(): v.value += 1", without the lock): it is exact
// against every other operation of any process, Add included. No
// operation of Int takes the value's lock (Mutex).
type Int[T Integer] struct {
	base
	p32 *uint32 // one of p32, p64 is set, by the size of T
	p64 *uint64
}

// NewInt allocates an Int called name in seg holding initial.
func NewInt[T Integer](seg *shm.Segment, name string, initial T, opts ...Option) (*Int[T], error) {
	ti, err := infoOf[T](flavorInt)
	if err != nil {
		return nil, fmt.Errorf("value %q: %w", name, err)
	}
	o, err := create(seg, name, ti, bytesOf(&initial, ti.size), opts)
	if err != nil {
		return nil, err
	}
	return intOf[T](o, ti)
}

// OpenInt finds the Int called name in seg; it must hold the same T (else
// shm.ErrWrongKind).
func OpenInt[T Integer](seg *shm.Segment, name string) (*Int[T], error) {
	ti, err := infoOf[T](flavorInt)
	if err != nil {
		return nil, fmt.Errorf("value %q: %w", name, err)
	}
	o, err := open(seg, name, ti)
	if err != nil {
		return nil, err
	}
	return intOf[T](o, ti)
}

func intOf[T Integer](o *shm.Object, ti typeInfo) (*Int[T], error) {
	b, err := newBase(o, ti)
	if err != nil {
		return nil, err
	}
	v := &Int[T]{base: b}
	if ti.size == 8 {
		v.p64 = &b.data[0]
	} else {
		v.p32 = lowHalf(&b.data[0]) // little-endian: the low half
	}
	return v, nil
}

// Load returns the value.
func (v *Int[T]) Load() T {
	if v.p64 != nil {
		return T(atomic.LoadUint64(v.p64))
	}
	return T(atomic.LoadUint32(v.p32))
}

// Store sets the value.
func (v *Int[T]) Store(x T) {
	if v.p64 != nil {
		atomic.StoreUint64(v.p64, uint64(x))
		return
	}
	atomic.StoreUint32(v.p32, uint32(x))
}

// Add adds delta (wrapping around, as Go integers do) and returns the new
// value.
func (v *Int[T]) Add(delta T) T {
	if v.p64 != nil {
		return T(atomic.AddUint64(v.p64, uint64(delta)))
	}
	return T(atomic.AddUint32(v.p32, uint32(delta)))
}

// Swap sets the value to x and returns the old one.
func (v *Int[T]) Swap(x T) T {
	if v.p64 != nil {
		return T(atomic.SwapUint64(v.p64, uint64(x)))
	}
	return T(atomic.SwapUint32(v.p32, uint32(x)))
}

// CompareAndSwap sets the value to new if it is old, and reports whether
// it did.
func (v *Int[T]) CompareAndSwap(old, new T) bool {
	if v.p64 != nil {
		return atomic.CompareAndSwapUint64(v.p64, uint64(old), uint64(new))
	}
	return atomic.CompareAndSwapUint32(v.p32, uint32(old), uint32(new))
}

// Update calls fn with a copy of the current value and stores what fn
// leaves, atomically: a compare-and-swap loop (load, fn, CompareAndSwap;
// again from the load if another process changed the value meanwhile). It
// is exact against concurrent Add, Store, Swap, CompareAndSwap and Update
// of any process, and takes no lock: a process killed inside it changed
// nothing or stored a whole number.
//
// fn may therefore be called more than once, each time with a fresh copy
// of the current value: it must compute the new value from the old one
// and do nothing else. If fn panics, nothing is stored. Update never
// waits; ctx is looked at only between retries, so an Update that keeps
// losing the race to other writers returns ctx's error once ctx ends.
func (v *Int[T]) Update(ctx context.Context, fn func(*T)) error {
	for {
		old := v.Load()
		x := old
		fn(&x)
		if v.CompareAndSwap(old, x) {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("updating value %q: %w", v.obj.Name(), err)
		}
	}
}

// UnmarshalBinary attaches the Int a marshalled handle names, in this
// process (gob and package process use it).
func (v *Int[T]) UnmarshalBinary(b []byte) error { return shm.UnmarshalHandle(b, v) }

// AttachHandle attaches v to the Int h names (see shm.AttachAs); it must
// hold the same T (else shm.ErrWrongKind).
func (v *Int[T]) AttachHandle(h shm.Handle) error {
	ti, err := infoOf[T](flavorInt)
	if err != nil {
		return err
	}
	o, err := attach(h, ti)
	if err != nil {
		return err
	}
	n, err := intOf[T](o, ti)
	if err != nil {
		return err
	}
	*v = *n
	return nil
}
