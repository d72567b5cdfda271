package value

import (
	"fmt"
	"hash/fnv"
	"os"
	"reflect"
	"strconv"
)

// Check reports whether values of type t can live in shared memory: a
// fixed size above zero and nothing the garbage collector or another
// address space would misread — no pointers, slices, maps, strings,
// interfaces, channels, functions or unsafe pointers, at any depth. Every
// constructor here (and in package array) calls it; the error wraps
// os.ErrInvalid.
func Check(t reflect.Type) error {
	if t == nil {
		return fmt.Errorf("nil type: %w", os.ErrInvalid)
	}
	if t.Size() == 0 {
		return fmt.Errorf("type %s has size 0: %w", t, os.ErrInvalid)
	}
	if path := pointerPath(t, t.String()); path != "" {
		return fmt.Errorf("type %s cannot live in shared memory: %s holds a pointer (each process maps memory at its own address): %w",
			t, path, os.ErrInvalid)
	}
	return nil
}

// pointerPath names the first part of t that holds a pointer, or "".
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

// Signature is a 32-bit digest of t's memory layout: kinds, sizes and
// offsets of every field, recursively (not names). Objects record it so
// that opening one with a type of another layout is an error.
func Signature(t reflect.Type) uint32 {
	h := fnv.New32a()
	writeLayout(h, t)
	return h.Sum32()
}

func writeLayout(h interface{ Write([]byte) (int, error) }, t reflect.Type) {
	h.Write([]byte(t.Kind().String() + ":" + strconv.Itoa(int(t.Size())) + "{"))
	switch t.Kind() {
	case reflect.Array:
		h.Write([]byte(strconv.Itoa(t.Len()) + "x"))
		writeLayout(h, t.Elem())
	case reflect.Struct:
		for i := range t.NumField() {
			f := t.Field(i)
			h.Write([]byte("@" + strconv.Itoa(int(f.Offset))))
			writeLayout(h, f.Type)
		}
	}
	h.Write([]byte("}"))
}
