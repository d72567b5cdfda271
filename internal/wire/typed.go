package wire

import "github.com/shmkit/shmkit/codec"

// Auto is the codec tasks use unless their registration says otherwise:
// Encode and Decode below as a codec.Codec[T] (fast paths for the common
// scalars, raw bytes for plain types, gob for the rest; no bytes at all
// decode to the zero value).
type Auto[T any] struct{}

func (Auto[T]) Encode(_ []byte, v T) ([]byte, error) { return Encode(v) }

func (Auto[T]) Decode(b []byte) (T, error) {
	var v T
	err := Decode(b, &v)
	return v, err
}

var _ codec.Codec[int] = Auto[int]{}
