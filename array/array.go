package array

import (
	"context"
	"fmt"
	"os"
	"reflect"

	"github.com/shmkit/shmkit/shm"
	"github.com/shmkit/shmkit/sync"
	"github.com/shmkit/shmkit/value"
)

// Array is a fixed-length array of T in shared memory: Python's
// multiprocessing.Array. T is any fixed-size type without pointers (see
// value.Check). The elements are contiguous and little-endian at
// DataOffset() in the segment, so a named segment's array is also a numpy
// array: numpy.ndarray((a.Len(),), dtype, buffer=SharedMemory(name).buf,
// offset=a.DataOffset()).
//
// Load and Store copy one element with plain loads and stores: an element
// wider than a machine word can be seen half-written by a concurrent
// reader, and nothing orders accesses between processes. Hold Lock (the
// array's own robust lock, Python's get_lock()) around accesses that must
// be consistent, or use Int for atomic integer elements.
//
// An index out of range panics, as it does for a Go slice: the length is
// fixed and known locally, so a bad index is a bug in the caller, not a
// condition to handle.
type Array[T any] struct {
	obj   *shm.Object
	mu    *sync.Mutex
	data  []T
	dtype string // as checked against the header when opened
}

// MaxLen bounds an array's length.
const MaxLen = 1 << 40

// New allocates an Array of n zero elements called name in seg
// (value.WithLock: share a Mutex object's lock, Python's lock=).
func New[T any](seg *shm.Segment, name string, n int, opts ...value.Option) (*Array[T], error) {
	return create[T](seg, name, n, nil, opts)
}

// NewFrom allocates an Array called name in seg holding a copy of values
// (Python's Array('i', range(50))).
func NewFrom[T any](seg *shm.Segment, name string, values []T, opts ...value.Option) (*Array[T], error) {
	return create(seg, name, len(values), values, opts)
}

func create[T any](seg *shm.Segment, name string, n int, init []T, opts []value.Option) (*Array[T], error) {
	ref, err := value.LockRef(seg, opts)
	if err != nil {
		return nil, fmt.Errorf("array %q: %w", name, err)
	}
	t := reflect.TypeFor[T]()
	if err := value.Check(t); err != nil {
		return nil, fmt.Errorf("array %q: %w", name, err)
	}
	if n < 0 || n > MaxLen || uint64(n) > (uint64(shm.MaxSize)-HeaderSize)/uint64(t.Size()) {
		return nil, fmt.Errorf("array %q: length %d of %d-byte elements: %w", name, n, t.Size(), os.ErrInvalid)
	}
	size := HeaderSize + n*int(t.Size())
	o, err := seg.AllocObject(name, shm.KindArray, layoutVersion, size, shm.CacheLinePad, func(b []byte) {
		h := hdr(b)
		h.Len, h.ElemSize, h.Align = uint64(n), uint32(t.Size()), uint32(t.Align())
		h.Sig, h.Kind = value.Signature(t), uint8(t.Kind())
		h.DType.Set(value.DType(t))
		h.LockAt = ref
		copy(elems[T](b, n), init)
	})
	if err != nil {
		return nil, fmt.Errorf("creating array %q: %w", name, err)
	}
	return arrayOf[T](o)
}

// Open finds the Array called name in seg; it must have been created with
// a T of the same layout (else shm.ErrWrongKind).
func Open[T any](seg *shm.Segment, name string) (*Array[T], error) {
	o, err := seg.LookupKind(name, shm.KindArray, layoutVersion)
	if err != nil {
		return nil, fmt.Errorf("opening array %q: %w", name, err)
	}
	return arrayOf[T](o)
}

// arrayOf checks o's header against T and o's size, then views the data.
func arrayOf[T any](o *shm.Object) (*Array[T], error) {
	t := reflect.TypeFor[T]()
	if err := value.Check(t); err != nil {
		return nil, fmt.Errorf("array %q: %w", o.Name(), err)
	}
	b := o.Bytes()
	if len(b) < HeaderSize || o.Offset()%8 != 0 {
		return nil, fmt.Errorf("%s: too small or misaligned for an array: %w", o, shm.ErrCorrupt)
	}
	h := *hdr(b) // one copy: checked and used from private memory
	dtype := value.DType(t)
	if h.ElemSize != uint32(t.Size()) || h.Align != uint32(t.Align()) || h.Sig != value.Signature(t) || h.Kind != uint8(t.Kind()) || h.DType.String() != dtype {
		return nil, fmt.Errorf("%s holds %d-byte %s elements (signature %08x, dtype %q), want %s: %w",
			o, h.ElemSize, reflect.Kind(h.Kind), h.Sig, h.DType.String(), t, shm.ErrWrongKind)
	}
	if h.Len > uint64(len(b)-HeaderSize)/uint64(t.Size()) {
		return nil, fmt.Errorf("%s: %d elements of %d bytes do not fit in %d bytes: %w", o, h.Len, t.Size(), len(b), shm.ErrCorrupt)
	}
	if !alignedFor(b, t.Align()) {
		return nil, fmt.Errorf("%s: data misaligned for %s: %w", o, t, shm.ErrCorrupt)
	}
	mu, err := value.LockOf(o, h.LockAt)
	if err != nil {
		return nil, err
	}
	return &Array[T]{obj: o, mu: mu, data: elems[T](b, int(h.Len)), dtype: dtype}, nil
}

// Len returns the number of elements.
func (a *Array[T]) Len() int { return len(a.data) }

// Load returns element i (a plain copy; see the type's doc).
func (a *Array[T]) Load(i int) T { return a.data[i] }

// Store sets element i (a plain copy; see the type's doc).
func (a *Array[T]) Store(i int, v T) { a.data[i] = v }

// CopyTo copies elements from the start of the array into dst and returns
// how many: min(len(dst), Len()). Like Load, it does not lock.
func (a *Array[T]) CopyTo(dst []T) int { return copy(dst, a.data) }

// CopyFrom copies src into the start of the array and returns how many
// elements: min(len(src), Len()). Like Store, it does not lock.
func (a *Array[T]) CopyFrom(src []T) int { return copy(a.data, src) }

// Unsafe returns the elements themselves: a slice over shared memory, no
// copy. It does not protect anything: other processes read and write the
// same memory at any time (hold Lock, or use atomics, to agree with them),
// the race detector cannot see those processes, and the slice is valid only
// until the segment is closed — touching it afterwards faults. Never
// append to it.
func (a *Array[T]) Unsafe() []T { return a.data[:len(a.data):len(a.data)] }

// Lock acquires the array's robust lock (see sync.Mutex.Lock: with
// sync.ErrOwnerDead the lock is held but a process died holding it, and the
// elements it was changing may be half-written; call MarkConsistent once
// repaired).
func (a *Array[T]) Lock(ctx context.Context) error { return a.mu.Lock(ctx) }

// Unlock releases the array's lock.
func (a *Array[T]) Unlock() error { return a.mu.Unlock() }

// Mutex returns the array's lock: Python's get_lock().
func (a *Array[T]) Mutex() *sync.Mutex { return a.mu }

// DataOffset returns the offset of element 0 from the start of the
// segment: numpy's offset= for a named segment's buffer. shmkit inspect
// prints it too.
func (a *Array[T]) DataOffset() int { return a.obj.Offset() + HeaderSize }

// DType returns the numpy type string the array records for its T
// ("<f8", "(3,)<f4"; "" for a struct): see value.DType. Python's
// shmkit.open(name).array(arrayName) views the elements with it.
func (a *Array[T]) DType() string { return a.dtype }

// Object returns the array's object.
func (a *Array[T]) Object() *shm.Object { return a.obj }

// Handle returns the shm handle of the array's object.
func (a *Array[T]) Handle() shm.Handle { return a.obj.Handle() }

// MarshalBinary encodes the array's handle (for gob, and children).
func (a *Array[T]) MarshalBinary() ([]byte, error) {
	if a.obj == nil {
		return nil, fmt.Errorf("marshalling a zero array: %w", shm.ErrCorrupt)
	}
	return a.obj.Handle().MarshalBinary()
}

// UnmarshalBinary attaches the Array a marshalled handle names, in this
// process (gob and package process use it).
func (a *Array[T]) UnmarshalBinary(b []byte) error { return shm.UnmarshalHandle(b, a) }

// AttachHandle attaches a to the Array h names (see shm.AttachAs); it must
// hold the same T (else shm.ErrWrongKind).
func (a *Array[T]) AttachHandle(h shm.Handle) error {
	o, err := shm.Attach(h, shm.KindArray, layoutVersion)
	if err != nil {
		return fmt.Errorf("attaching array: %w", err)
	}
	n, err := arrayOf[T](o)
	if err != nil {
		return err
	}
	*a = *n
	return nil
}
