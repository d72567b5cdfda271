package codec

import (
	"errors"
	"reflect"

	"github.com/shmkit/shmkit/internal/plain"
)

// Codec turns values of T into bytes and back.
type Codec[T any] interface {
	// Encode returns v's encoding. It may return a slice that aliases v
	// (no copy) or that it appended to scratch[:0] (a buffer the caller
	// reuses; nil is fine); the caller uses the result before its next
	// Encode with the same scratch.
	Encode(scratch []byte, v T) ([]byte, error)
	// Decode decodes b. b may point into shared memory and is valid only
	// during the call: the result must not alias it.
	Decode(b []byte) (T, error)
}

// ErrMalformed is wrapped by a Decode whose input cannot be a value of its
// type (a Raw message of the wrong size, say). Decoders of other formats
// return their own packages' errors (encoding/gob's, encoding/json's).
var ErrMalformed = errors.New("malformed encoding")

// Default picks T's codec: Bytes for []byte, String for string, Raw for
// fixed-size pointer-free types without an encoding of their own
// (internal/plain's Raw: a type's MarshalBinary, GobEncode or MarshalText
// wins), Gob otherwise.
func Default[T any]() Codec[T] {
	var z T
	switch any(z).(type) {
	case []byte:
		return any(Bytes{}).(Codec[T])
	case string:
		return any(String{}).(Codec[T])
	}
	if plain.Raw(reflect.TypeFor[T]()) {
		c, _ := NewRaw[T]()
		return c
	}
	return Gob[T]{}
}
