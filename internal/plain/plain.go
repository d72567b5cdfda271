// Package plain answers one question for every shmkit package that asks
// it: is a Go type plain, that is, are a value's bytes the whole value?
//
// A plain type has a fixed size and holds no pointer at any depth:
// numbers, bools, and arrays and structs of them. Its bytes mean the same
// thing in every process of this binary, so they can live in shared memory
// (package value, package array) and travel as they are (the task codec of
// process and pool, ring's RawCodec). Strings, slices, maps, interfaces,
// channels, functions and pointers (unsafe ones included) hold addresses,
// which mean nothing in another address space.
//
// The two cases where shmkit's packages used to disagree are decided here:
//
//   - Zero-size types (struct{}, [0]T) are plain. Their value is their
//     bytes, all none of them, so a codec may send nothing and a receiver
//     rebuilds the whole value. A zero-length array holds no element, so
//     its element type does not matter. Whether a zero-size object may
//     take a place in shared memory is another question: package value
//     refuses it (an object needs a byte to be told from its neighbour) and
//     says so in its own check.
//
//   - A type's own encoding (GobEncoder, BinaryMarshaler or TextMarshaler,
//     on the value or the pointer) does not change what the type is, so
//     Check ignores it: shared memory holds the value, not an encoding of
//     it. It does change how a codec should send it, when the codec picks
//     for the caller: Raw is false for such a type, which travels through
//     its own encoding (as gob would use it), because the type's author
//     chose that form on purpose (a version byte, a normalisation, fields
//     left out). A caller that asks for raw bytes by name (ring's
//     NewRawCodec) gets them, since Check allows it.
package plain

import (
	"encoding"
	"encoding/gob"
	"fmt"
	"os"
	"reflect"
	"sync"
)

// Check returns nil when t is plain: a fixed size (zero included) and no
// pointer at any depth. Otherwise its error names the first part of t
// that holds a pointer and wraps os.ErrInvalid.
func Check(t reflect.Type) error {
	if t == nil {
		return fmt.Errorf("nil type: %w", os.ErrInvalid)
	}
	if path := PointerPath(t); path != "" {
		return fmt.Errorf("type %s is not plain: %s holds a pointer (each process maps memory at its own address): %w",
			t, path, os.ErrInvalid)
	}
	return nil
}

// PointerPath names the first part of t that holds a pointer, as
// "T.Field[0] (string)", or returns "" when t is plain.
func PointerPath(t reflect.Type) string { return pointerPath(t, t.String()) }

func pointerPath(t reflect.Type, at string) string {
	switch t.Kind() {
	case reflect.Bool, reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr,
		reflect.Float32, reflect.Float64, reflect.Complex64, reflect.Complex128:
		return ""
	case reflect.Array:
		if t.Len() == 0 {
			return ""
		}
		return pointerPath(t.Elem(), at+"[0]")
	case reflect.Struct:
		for i := range t.NumField() {
			f := t.Field(i)
			if p := pointerPath(f.Type, at+"."+f.Name); p != "" {
				return p
			}
		}
		return ""
	default: // Pointer, UnsafePointer, Slice, Map, String, Interface, Chan, Func
		return at + " (" + t.Kind().String() + ")"
	}
}

var customEncoders = []reflect.Type{ // what gob would use instead of the fields
	reflect.TypeFor[gob.GobEncoder](),
	reflect.TypeFor[encoding.BinaryMarshaler](),
	reflect.TypeFor[encoding.TextMarshaler](),
}

// OwnEncoding reports whether t, or a pointer to t, has an encoding of its
// own: GobEncoder, BinaryMarshaler or TextMarshaler.
func OwnEncoding(t reflect.Type) bool {
	pt := reflect.PointerTo(t)
	for _, e := range customEncoders {
		if t.Implements(e) || pt.Implements(e) {
			return true
		}
	}
	return false
}

var rawTypes sync.Map // reflect.Type → bool

// Raw reports whether a codec that chooses for its caller should send
// values of t as their bytes: t is plain and has no encoding of its own.
// The answer is cached per type, for codecs that ask on every value.
func Raw(t reflect.Type) bool {
	if t == nil {
		return false
	}
	if r, ok := rawTypes.Load(t); ok {
		return r.(bool)
	}
	r := PointerPath(t) == "" && !OwnEncoding(t)
	rawTypes.Store(t, r)
	return r
}
