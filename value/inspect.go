package value

import (
	"fmt"
	"reflect"

	"github.com/shmkit/shmkit/shm"
)

// DataLayout says where the data of a value or an array lies in its
// segment and what it is made of, read from the object's header: what a
// program that maps the segment itself needs (`shmkit inspect` prints it as
// a numpy line; python/shmkit.py reads the same header fields).
type DataLayout struct {
	Offset   int          // segment offset of the first data byte
	Len      int          // elements: 1 for a value
	ElemSize int          // bytes per element (Go's unsafe.Sizeof)
	Kind     reflect.Kind // Go's kind of an element
	DType    string       // numpy's type string (DType), "" when it has none
	// Moving is true for a Value[T] (a sequence lock over two copies): its
	// data alternates between Offset and the copy after it, so a plain view
	// of Offset is no consistent read. Int and Float cells stay at Offset.
	Moving bool
}

// LayoutOf reads the data layout of o, a value object (shm.KindValue) of
// any element type, without opening it as a typed Int, Float or Value. It
// checks the header against the object as Open does: another kind or
// layout version is shm.ErrWrongKind, a header that does not fit the
// object shm.ErrCorrupt.
func LayoutOf(o *shm.Object) (DataLayout, error) {
	if err := o.Check(shm.KindValue, layoutVersion); err != nil {
		return DataLayout{}, err
	}
	if o.Size() < DataOffset || o.Offset()%8 != 0 {
		return DataLayout{}, fmt.Errorf("%s: too small or misaligned for a value: %w", o, shm.ErrCorrupt)
	}
	h := hdr(o.Bytes())
	ti := typeInfo{flavor: h.Flavor, size: int(h.Size)}
	if h.Flavor < flavorValue || h.Flavor > flavorFloat || ti.size <= 0 || ti.objectSize() > o.Size() {
		return DataLayout{}, fmt.Errorf("%s: flavor %d, %d-byte data in a %d-byte object: %w", o, h.Flavor, ti.size, o.Size(), shm.ErrCorrupt)
	}
	return DataLayout{
		Offset: o.Offset() + DataOffset, Len: 1, ElemSize: ti.size, Kind: reflect.Kind(h.Kind),
		DType: h.DType.String(), Moving: h.Flavor == flavorValue,
	}, nil
}
