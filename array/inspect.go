package array

import (
	"fmt"
	"reflect"

	"github.com/shmkit/shmkit/shm"
	"github.com/shmkit/shmkit/value"
)

// LayoutOf reads the data layout of o, an array object (shm.KindArray) of
// any element type, without opening it as a typed Array: the segment
// offset of element 0 (DataOffset's), the length, the element size, kind
// and numpy type. It checks the header against the object as Open does:
// another kind or layout version is shm.ErrWrongKind, a length that does
// not fit the object shm.ErrCorrupt.
func LayoutOf(o *shm.Object) (value.DataLayout, error) {
	if err := o.Check(shm.KindArray, layoutVersion); err != nil {
		return value.DataLayout{}, err
	}
	b := o.Bytes()
	if len(b) < HeaderSize || o.Offset()%8 != 0 {
		return value.DataLayout{}, fmt.Errorf("%s: too small or misaligned for an array: %w", o, shm.ErrCorrupt)
	}
	h := *hdr(b)
	if h.ElemSize == 0 || h.Len > uint64(len(b)-HeaderSize)/uint64(h.ElemSize) {
		return value.DataLayout{}, fmt.Errorf("%s: %d elements of %d bytes in %d bytes: %w", o, h.Len, h.ElemSize, len(b), shm.ErrCorrupt)
	}
	return value.DataLayout{
		Offset: o.Offset() + HeaderSize, Len: int(h.Len), ElemSize: int(h.ElemSize),
		Kind: reflect.Kind(h.Kind), DType: h.DType.String(),
	}, nil
}
