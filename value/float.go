package value

import (
	"context"
	"fmt"
	"math"
	"sync/atomic"

	"github.com/shmkit/shmkit/shm"
)

// Floating is the floating-point types.
type Floating interface{ ~float32 | ~float64 }

// Float is a floating-point number in shared memory with lock-free
// operations: Python's multiprocessing.Value('d'). The number is IEEE 754,
// little-endian, at Object().Offset() + DataOffset.
//
// Load, Store and Swap are single atomic instructions; Add and Update are
// compare-and-swap loops on the same word, exact against each other and
// every other operation of any process (see Int.Update). No operation of
// Float takes the value's lock (Mutex). CompareAndSwap compares bit
// patterns: -0 differs from +0, and a NaN equals a NaN with the same bits.
type Float[T Floating] struct {
	base
	p32 *uint32
	p64 *uint64
}

// NewFloat allocates a Float called name in seg holding initial.
func NewFloat[T Floating](seg *shm.Segment, name string, initial T, opts ...Option) (*Float[T], error) {
	ti, err := infoOf[T](flavorFloat)
	if err != nil {
		return nil, fmt.Errorf("value %q: %w", name, err)
	}
	o, err := create(seg, name, ti, bytesOf(&initial, ti.size), opts)
	if err != nil {
		return nil, err
	}
	return floatOf[T](o, ti)
}

// OpenFloat finds the Float called name in seg; it must hold the same T.
func OpenFloat[T Floating](seg *shm.Segment, name string) (*Float[T], error) {
	ti, err := infoOf[T](flavorFloat)
	if err != nil {
		return nil, fmt.Errorf("value %q: %w", name, err)
	}
	o, err := open(seg, name, ti)
	if err != nil {
		return nil, err
	}
	return floatOf[T](o, ti)
}

func floatOf[T Floating](o *shm.Object, ti typeInfo) (*Float[T], error) {
	b, err := newBase(o, ti)
	if err != nil {
		return nil, err
	}
	v := &Float[T]{base: b}
	if ti.size == 8 {
		v.p64 = &b.data[0]
	} else {
		v.p32 = lowHalf(&b.data[0])
	}
	return v, nil
}

func (v *Float[T]) bits(x T) uint64 {
	if v.p64 != nil {
		return math.Float64bits(float64(x))
	}
	return uint64(math.Float32bits(float32(x)))
}

func (v *Float[T]) from(b uint64) T {
	if v.p64 != nil {
		return T(math.Float64frombits(b))
	}
	return T(math.Float32frombits(uint32(b)))
}

func (v *Float[T]) loadBits() uint64 {
	if v.p64 != nil {
		return atomic.LoadUint64(v.p64)
	}
	return uint64(atomic.LoadUint32(v.p32))
}

func (v *Float[T]) casBits(old, new uint64) bool {
	if v.p64 != nil {
		return atomic.CompareAndSwapUint64(v.p64, old, new)
	}
	return atomic.CompareAndSwapUint32(v.p32, uint32(old), uint32(new))
}

// Load returns the value.
func (v *Float[T]) Load() T { return v.from(v.loadBits()) }

// Store sets the value.
func (v *Float[T]) Store(x T) {
	if v.p64 != nil {
		atomic.StoreUint64(v.p64, v.bits(x))
		return
	}
	atomic.StoreUint32(v.p32, uint32(v.bits(x)))
}

// Swap sets the value to x and returns the old one.
func (v *Float[T]) Swap(x T) T {
	if v.p64 != nil {
		return v.from(atomic.SwapUint64(v.p64, v.bits(x)))
	}
	return v.from(uint64(atomic.SwapUint32(v.p32, uint32(v.bits(x)))))
}

// CompareAndSwap sets the value to new if its bits are old's.
func (v *Float[T]) CompareAndSwap(old, new T) bool {
	return v.casBits(v.bits(old), v.bits(new))
}

// Add adds delta and returns the new value (a compare-and-swap loop).
func (v *Float[T]) Add(delta T) T {
	for {
		old := v.loadBits()
		n := v.from(old) + delta
		if v.casBits(old, v.bits(n)) {
			return n
		}
	}
}

// Update calls fn with a copy of the current value and stores what fn
// leaves, atomically: a compare-and-swap loop on the bits, like Add. It is
// exact against concurrent Add and Update of any process and takes no
// lock. fn may be called more than once and must do nothing but compute
// the new value; ctx is looked at only between retries (see Int.Update).
func (v *Float[T]) Update(ctx context.Context, fn func(*T)) error {
	for {
		old := v.loadBits()
		x := v.from(old)
		fn(&x)
		if v.casBits(old, v.bits(x)) {
			return nil
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("updating value %q: %w", v.obj.Name(), err)
		}
	}
}

// UnmarshalBinary attaches the Float a marshalled handle names, in this
// process (gob and package process use it).
func (v *Float[T]) UnmarshalBinary(b []byte) error { return shm.UnmarshalHandle(b, v) }

// AttachHandle attaches v to the Float h names (see shm.AttachAs); it must
// hold the same T (else shm.ErrWrongKind).
func (v *Float[T]) AttachHandle(h shm.Handle) error {
	ti, err := infoOf[T](flavorFloat)
	if err != nil {
		return err
	}
	o, err := attach(h, ti)
	if err != nil {
		return err
	}
	n, err := floatOf[T](o, ti)
	if err != nil {
		return err
	}
	*v = *n
	return nil
}
