package wire

import (
	"fmt"
	"reflect"
	"unsafe"

	"github.com/shmkit/shmkit/internal/plain"
)

// Plain values travel as their bytes. A fixed-size, pointer-free type
// (numbers, bools, arrays and structs of them) means the same bytes in a
// child, which is this very binary re-executed: no type description, no
// reflection walk, one copy. gob takes about 30 µs and 170 allocations to
// encode and decode a two-field struct with a fresh encoder, as every
// message here needs; that was 5-10% of a 0.3 ms pool task.
//
// A type with its own encoding (GobEncoder, BinaryMarshaler or
// TextMarshaler, on the value or the pointer) keeps it, through gob
// (internal/plain's Raw decides, for ring's Queue as well). Unexported
// fields travel too, unlike with gob: a plain value arrives whole.

// encodeRaw returns v's bytes when its type is plain.
func encodeRaw(v any) ([]byte, bool) {
	rv := reflect.ValueOf(v)
	if !rv.IsValid() || !plain.Raw(rv.Type()) {
		return nil, false
	}
	t := rv.Type()
	p := reflect.New(t) // an addressable copy of v
	p.Elem().Set(rv)
	b := make([]byte, t.Size())
	copy(b, unsafe.Slice((*byte)(p.UnsafePointer()), t.Size()))
	return b, true
}

// decodeRaw fills ptr from b when ptr's element type is plain; ok is false
// when it is not (gob's turn).
func decodeRaw(b []byte, ptr any) (ok bool, err error) {
	rv := reflect.ValueOf(ptr)
	if rv.Kind() != reflect.Pointer || rv.IsNil() || !plain.Raw(rv.Type().Elem()) {
		return false, nil
	}
	t := rv.Type().Elem()
	if uintptr(len(b)) != t.Size() {
		return true, fmt.Errorf("%d bytes for a %d-byte %v: %w", len(b), t.Size(), t, errInvalid)
	}
	copy(unsafe.Slice((*byte)(rv.UnsafePointer()), t.Size()), b)
	return true, nil
}
