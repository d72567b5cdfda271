package ring

import (
	"hash/fnv"
	"reflect"
	"strconv"
	"sync"
)

// A typed queue records a signature of its element type in its header, so
// that a typed open of a queue made for another type fails with
// shm.ErrWrongKind instead of decoding garbage (or, worse, decoding
// without complaint: gob fills what matches and leaves the rest zero).
//
// The signature is a 64-bit FNV-1a digest of the type's shape, not of its
// name: the kind and size of every level, the field names and offsets of
// structs, array lengths, and the element types of pointers, slices,
// arrays, maps and channels, and the method names of interfaces. Two types
// of the same shape (a named type and its underlying type, or the same
// struct declared in two programs) have the same signature, which is what
// a codec needs. Recursive types are described with a back-reference at
// the point of recursion. The signature is never 0, which marks an untyped
// queue (NewMPMC), which any typed open accepts.

var sigs sync.Map // reflect.Type → uint64

// typeSig returns the signature of t.
func typeSig(t reflect.Type) uint64 {
	if s, ok := sigs.Load(t); ok {
		return s.(uint64)
	}
	h := fnv.New64a()
	writeShape(h, t, nil)
	s := h.Sum64()
	if s == 0 {
		s = 1
	}
	sigs.Store(t, s)
	return s
}

func sigOf[T any]() uint64 { return typeSig(reflect.TypeFor[T]()) }

func writeShape(h interface{ Write([]byte) (int, error) }, t reflect.Type, open []reflect.Type) {
	for i, o := range open {
		if o == t {
			h.Write([]byte("^" + strconv.Itoa(len(open)-i)))
			return
		}
	}
	open = append(open, t)
	h.Write([]byte(t.Kind().String() + ":" + strconv.Itoa(int(t.Size())) + "{"))
	switch t.Kind() {
	case reflect.Array:
		h.Write([]byte(strconv.Itoa(t.Len()) + "x"))
		writeShape(h, t.Elem(), open)
	case reflect.Pointer, reflect.Slice, reflect.Chan:
		writeShape(h, t.Elem(), open)
	case reflect.Map:
		writeShape(h, t.Key(), open)
		writeShape(h, t.Elem(), open)
	case reflect.Struct:
		for i := range t.NumField() {
			f := t.Field(i)
			h.Write([]byte(f.Name + "@" + strconv.Itoa(int(f.Offset)) + "="))
			writeShape(h, f.Type, open)
		}
	case reflect.Interface:
		for i := range t.NumMethod() {
			h.Write([]byte(t.Method(i).Name + ";"))
		}
	}
	h.Write([]byte("}"))
}
