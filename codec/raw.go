package codec

import (
	"fmt"
	"os"
	"reflect"
	"unsafe"

	"github.com/shmkit/shmkit/internal/plain"
)

// Raw copies a fixed-size, pointer-free T (numbers, bools, arrays and
// structs of them) byte for byte, in this machine's byte order. Make one
// with NewRaw.
type Raw[T any] struct{ size int }

// NewRaw returns a Raw codec for T, or an error wrapping os.ErrInvalid when
// T holds pointers (strings, slices, maps, interfaces…), whose bytes mean
// nothing in another process.
func NewRaw[T any]() (Raw[T], error) {
	t := reflect.TypeFor[T]()
	if err := plain.Check(t); err != nil {
		return Raw[T]{}, fmt.Errorf("raw codec for %v: %v: %w", t, err, os.ErrInvalid)
	}
	return Raw[T]{size: int(t.Size())}, nil
}

func (c Raw[T]) Encode(scratch []byte, v T) ([]byte, error) {
	if c.size == 0 {
		return scratch[:0], nil
	}
	if cap(scratch) < c.size {
		scratch = make([]byte, c.size)
	}
	b := scratch[:c.size]
	// Byte-wise copy: scratch need not be aligned for T.
	copy(b, unsafe.Slice((*byte)(unsafe.Pointer(&v)), c.size))
	return b, nil
}

func (c Raw[T]) Decode(b []byte) (T, error) {
	var v T
	if len(b) != c.size {
		return v, fmt.Errorf("%d bytes for a %d-byte %T: %w", len(b), c.size, v, ErrMalformed)
	}
	if c.size > 0 {
		copy(unsafe.Slice((*byte)(unsafe.Pointer(&v)), c.size), b)
	}
	return v, nil
}
