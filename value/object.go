package value

import (
	"context"
	"errors"
	"fmt"
	"reflect"

	"github.com/shmkit/shmkit/shm"
	"github.com/shmkit/shmkit/sync"
)

// typeInfo is what an object records about T.
type typeInfo struct {
	flavor uint8
	kind   reflect.Kind
	size   int
	align  int
	sig    uint32
	dtype  string // numpy's name for T, "" if it has none
}

func infoOf[T any](flavor uint8) (typeInfo, error) {
	t := reflect.TypeFor[T]()
	if err := Check(t); err != nil {
		return typeInfo{}, err
	}
	return typeInfo{flavor: flavor, kind: t.Kind(), size: int(t.Size()), align: t.Align(), sig: Signature(t), dtype: DType(t)}, nil
}

func (ti typeInfo) objectSize() int {
	if ti.flavor == flavorValue {
		return DataOffset + 2*stride(ti.size)
	}
	return DataOffset + stride(ti.size)
}

func (ti typeInfo) write(b []byte) {
	h := hdr(b)
	h.Flavor, h.Kind = ti.flavor, uint8(ti.kind)
	h.Size, h.Align, h.Sig = uint32(ti.size), uint32(ti.align), ti.sig
	h.DType.Set(ti.dtype)
}

// check compares what o records with ti, and o's size and alignment with
// the layout: a value opened with another type is shm.ErrWrongKind, a
// short or misaligned object shm.ErrCorrupt.
func (ti typeInfo) check(o *shm.Object) error {
	if o.Size() < DataOffset || o.Offset()%8 != 0 {
		return fmt.Errorf("%s: too small or misaligned for a value: %w", o, shm.ErrCorrupt)
	}
	h := hdr(o.Bytes())
	got := typeInfo{flavor: h.Flavor, kind: reflect.Kind(h.Kind), size: int(h.Size), align: int(h.Align), sig: h.Sig, dtype: h.DType.String()}
	if got != ti {
		return fmt.Errorf("%s holds %s of %d bytes (flavor %d, signature %08x, dtype %q), want %s of %d bytes (flavor %d, signature %08x, dtype %q): %w",
			o, got.kind, got.size, got.flavor, got.sig, got.dtype, ti.kind, ti.size, ti.flavor, ti.sig, ti.dtype, shm.ErrWrongKind)
	}
	if o.Size() < ti.objectSize() {
		return fmt.Errorf("%s: %d bytes, layout needs %d: %w", o, o.Size(), ti.objectSize(), shm.ErrCorrupt)
	}
	return nil
}

// base is what every flavor shares: the object, its lock, its data words.
type base struct {
	obj   *shm.Object
	mu    *sync.Mutex
	data  []uint64 // the data copies, as 64-bit words
	size  int
	dtype string // as checked against the header when opened
}

func newBase(o *shm.Object, ti typeInfo) (base, error) {
	mu, err := LockOf(o, hdr(o.Bytes()).LockAt)
	if err != nil {
		return base{}, err
	}
	b := o.Bytes()[DataOffset:ti.objectSize()]
	return base{obj: o, mu: mu, data: wordsOf(b), size: ti.size, dtype: ti.dtype}, nil
}

// create allocates the object and writes the header and the initial value
// (its ti.size bytes) into copy 0 before it is published.
func create(seg *shm.Segment, name string, ti typeInfo, initial []byte, opts []Option) (*shm.Object, error) {
	ref, err := LockRef(seg, opts)
	if err != nil {
		return nil, fmt.Errorf("creating value %q: %w", name, err)
	}
	o, err := seg.AllocObject(name, shm.KindValue, layoutVersion, ti.objectSize(), shm.CacheLinePad, func(b []byte) {
		ti.write(b)
		hdr(b).LockAt = ref
		d := b[DataOffset : DataOffset+stride(ti.size)]
		writeWords(wordsOf(d), initial)
	})
	if err != nil {
		return nil, fmt.Errorf("creating value %q: %w", name, err)
	}
	return o, nil
}

func open(seg *shm.Segment, name string, ti typeInfo) (*shm.Object, error) {
	o, err := seg.LookupKind(name, shm.KindValue, layoutVersion)
	if err != nil {
		return nil, fmt.Errorf("opening value %q: %w", name, err)
	}
	if err := ti.check(o); err != nil {
		return nil, fmt.Errorf("opening value %q: %w", name, err)
	}
	return o, nil
}

func attach(h shm.Handle, ti typeInfo) (*shm.Object, error) {
	o, err := shm.Attach(h, shm.KindValue, layoutVersion)
	if err != nil {
		return nil, fmt.Errorf("attaching value: %w", err)
	}
	if err := ti.check(o); err != nil {
		return nil, fmt.Errorf("attaching value: %w", err)
	}
	return o, nil
}

// Handle returns the shm handle of the value's object.
func (b *base) Handle() shm.Handle { return b.obj.Handle() }

// Object returns the value's object (its Offset() plus DataOffset is where
// the data lives in the segment).
func (b *base) Object() *shm.Object { return b.obj }

// DType returns the numpy type string the value records for its T ("<i8",
// "<f4"; "" for a struct): see the package function DType.
func (b *base) DType() string { return b.dtype }

// Mutex returns the value's own robust lock: Python's get_lock(). A
// Value's Store and Update hold it. No operation of Int or Float takes it
// (their Update is a compare-and-swap loop): holding it excludes only
// those who take it too.
func (b *base) Mutex() *sync.Mutex { return b.mu }

// MarshalBinary encodes the value's handle (for gob, and children).
func (b *base) MarshalBinary() ([]byte, error) {
	if b.obj == nil {
		return nil, fmt.Errorf("marshalling a zero value: %w", shm.ErrCorrupt)
	}
	return b.obj.Handle().MarshalBinary()
}

// lock takes a Value's lock for a write. A holder that died mid-write left
// nothing torn (it was writing the unpublished copy), so the lock is
// marked consistent at once.
func (b *base) lock(ctx context.Context) error {
	err := b.mu.Lock(ctx)
	if errors.Is(err, sync.ErrOwnerDead) {
		err = b.mu.MarkConsistent()
	}
	return err
}
