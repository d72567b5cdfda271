package ring

import (
	"bytes"
	"encoding/gob"
	"fmt"
	"reflect"
	"unsafe"

	"github.com/shmkit/shmkit/internal/plain"
)

// Codec turns values of T into messages and back, for Queue[T].
type Codec[T any] interface {
	// Encode returns v's encoding. It may return a slice that aliases v
	// (no copy) or that it appended to scratch (a reusable buffer); the
	// queue copies it into shared memory before the next Encode.
	Encode(scratch []byte, v T) ([]byte, error)
	// Decode decodes msg. msg may point into shared memory and is valid
	// only during the call: the result must not alias it.
	Decode(msg []byte) (T, error)
}

// BytesCodec sends []byte as is: Put copies it once into the queue, Get
// once out of it.
type BytesCodec struct{}

func (BytesCodec) Encode(_ []byte, v []byte) ([]byte, error) { return v, nil }
func (BytesCodec) Decode(msg []byte) ([]byte, error)         { return append([]byte{}, msg...), nil }

// StringCodec sends strings as their bytes, with no copy beyond the queue.
type StringCodec struct{}

func (StringCodec) Encode(_ []byte, v string) ([]byte, error) {
	return unsafe.Slice(unsafe.StringData(v), len(v)), nil
}
func (StringCodec) Decode(msg []byte) (string, error) { return string(msg), nil }

// RawCodec copies a fixed-size, pointer-free T (numbers, bools, arrays and
// structs of them) byte for byte. Make one with NewRawCodec.
type RawCodec[T any] struct{ size int }

// NewRawCodec returns a RawCodec for T, or an error when T holds pointers
// (strings, slices, maps, interfaces…), whose bytes mean nothing in
// another process.
func NewRawCodec[T any]() (RawCodec[T], error) {
	t := reflect.TypeFor[T]()
	if plain.Check(t) != nil {
		return RawCodec[T]{}, fmt.Errorf("type %v holds pointers: %w", t, errInvalid)
	}
	return RawCodec[T]{size: int(t.Size())}, nil
}

func (c RawCodec[T]) Encode(scratch []byte, v T) ([]byte, error) {
	if c.size == 0 {
		return scratch[:0], nil
	}
	if cap(scratch) < c.size {
		scratch = make([]byte, c.size)
	}
	b := scratch[:c.size]
	// scratch comes from make([]byte): 8-aligned, enough for any Go type.
	*(*T)(unsafe.Pointer(unsafe.SliceData(b))) = v
	return b, nil
}

func (c RawCodec[T]) Decode(msg []byte) (T, error) {
	var v T
	if len(msg) != c.size {
		return v, corrupt("message of %d bytes for a %d-byte %T", len(msg), c.size, v)
	}
	if c.size > 0 {
		copy(unsafe.Slice((*byte)(unsafe.Pointer(&v)), c.size), msg)
	}
	return v, nil
}

// GobCodec encodes any gob-encodable T, each message a self-contained gob
// stream (so any consumer can decode any message).
type GobCodec[T any] struct{}

func (GobCodec[T]) Encode(scratch []byte, v T) ([]byte, error) {
	buf := bytes.NewBuffer(scratch[:0])
	if err := gob.NewEncoder(buf).Encode(&v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func (GobCodec[T]) Decode(msg []byte) (T, error) {
	var v T
	err := gob.NewDecoder(bytes.NewReader(msg)).Decode(&v)
	return v, err
}

// DefaultCodec picks T's codec: BytesCodec for []byte, StringCodec for
// string, RawCodec for fixed-size pointer-free types without an encoding
// of their own (internal/plain's Raw: a type's MarshalBinary, GobEncode or
// MarshalText wins, as in process's tasks), GobCodec otherwise.
func DefaultCodec[T any]() Codec[T] {
	var z T
	switch any(z).(type) {
	case []byte:
		return any(BytesCodec{}).(Codec[T])
	case string:
		return any(StringCodec{}).(Codec[T])
	}
	if plain.Raw(reflect.TypeFor[T]()) {
		c, _ := NewRawCodec[T]()
		return c
	}
	return GobCodec[T]{}
}
