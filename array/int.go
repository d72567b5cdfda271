package array

import (
	"sync/atomic"

	"github.com/shmkit/shmkit/shm"
	"github.com/shmkit/shmkit/value"
)

// Int is an Array of integers whose element operations are atomic: Load,
// Store, Add, Swap and CompareAndSwap of element i are single atomic
// instructions, safe between processes without the lock. Everything else
// (Len, CopyTo, Lock, Unsafe...) is Array's.
type Int[T value.Integer] struct {
	*Array[T]
}

// NewInt allocates an Int array of n zeros called name in seg.
func NewInt[T value.Integer](seg *shm.Segment, name string, n int) (*Int[T], error) {
	a, err := New[T](seg, name, n)
	if err != nil {
		return nil, err
	}
	return &Int[T]{a}, nil
}

// OpenInt finds the integer array called name in seg.
func OpenInt[T value.Integer](seg *shm.Segment, name string) (*Int[T], error) {
	a, err := Open[T](seg, name)
	if err != nil {
		return nil, err
	}
	return &Int[T]{a}, nil
}

// UnmarshalBinary attaches the Int array a marshalled handle names.
func (a *Int[T]) UnmarshalBinary(b []byte) error { return shm.UnmarshalHandle(b, a) }

// AttachHandle attaches a to the Int array h names (see shm.AttachAs).
func (a *Int[T]) AttachHandle(h shm.Handle) error {
	var arr Array[T]
	if err := arr.AttachHandle(h); err != nil {
		return err
	}
	a.Array = &arr
	return nil
}

// The element pointers: T is 4 or 8 bytes (value.Integer), and elements
// are aligned to their size (the data starts 128-byte aligned).
func (a *Int[T]) is64() bool        { return sizeOf[T]() == 8 }
func (a *Int[T]) p64(i int) *uint64 { return words64(&a.data[i]) }
func (a *Int[T]) p32(i int) *uint32 { return words32(&a.data[i]) }

// Load atomically loads element i.
func (a *Int[T]) Load(i int) T {
	if a.is64() {
		return T(atomic.LoadUint64(a.p64(i)))
	}
	return T(atomic.LoadUint32(a.p32(i)))
}

// Store atomically stores v into element i.
func (a *Int[T]) Store(i int, v T) {
	if a.is64() {
		atomic.StoreUint64(a.p64(i), uint64(v))
		return
	}
	atomic.StoreUint32(a.p32(i), uint32(v))
}

// Add atomically adds delta to element i and returns the new value.
func (a *Int[T]) Add(i int, delta T) T {
	if a.is64() {
		return T(atomic.AddUint64(a.p64(i), uint64(delta)))
	}
	return T(atomic.AddUint32(a.p32(i), uint32(delta)))
}

// Swap atomically sets element i to v and returns the old value.
func (a *Int[T]) Swap(i int, v T) T {
	if a.is64() {
		return T(atomic.SwapUint64(a.p64(i), uint64(v)))
	}
	return T(atomic.SwapUint32(a.p32(i), uint32(v)))
}

// CompareAndSwap sets element i to new if it is old, and reports whether
// it did.
func (a *Int[T]) CompareAndSwap(i int, old, new T) bool {
	if a.is64() {
		return atomic.CompareAndSwapUint64(a.p64(i), uint64(old), uint64(new))
	}
	return atomic.CompareAndSwapUint32(a.p32(i), uint32(old), uint32(new))
}
