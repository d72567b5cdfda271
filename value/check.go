package value

import (
	"fmt"
	"hash/fnv"
	"os"
	"reflect"
	"strconv"

	// Aliased: this package's tests have a type named plain.
	plaintype "github.com/shmkit/shmkit/internal/plain"
)

// Check reports whether values of type t can live in shared memory: a
// fixed size above zero and nothing the garbage collector or another
// address space would misread — no pointers, slices, maps, strings,
// interfaces, channels, functions or unsafe pointers, at any depth. Every
// constructor here (and in package array) calls it; the error wraps
// os.ErrInvalid. The pointer rule is shmkit's one plain-type rule
// (internal/plain); size above zero is this package's own: a zero-size
// type is plain, but an object needs a byte to be told from its neighbour.
func Check(t reflect.Type) error {
	if t == nil {
		return fmt.Errorf("nil type: %w", os.ErrInvalid)
	}
	if t.Size() == 0 {
		return fmt.Errorf("type %s has size 0: %w", t, os.ErrInvalid)
	}
	if path := plaintype.PointerPath(t); path != "" {
		return fmt.Errorf("type %s cannot live in shared memory: %s holds a pointer (each process maps memory at its own address): %w",
			t, path, os.ErrInvalid)
	}
	return nil
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
