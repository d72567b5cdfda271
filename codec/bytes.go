package codec

import "unsafe"

// Bytes carries []byte as is: the encoding aliases the value, the decoding
// is a copy.
type Bytes struct{}

func (Bytes) Encode(_ []byte, v []byte) ([]byte, error) { return v, nil }
func (Bytes) Decode(b []byte) ([]byte, error)           { return append([]byte{}, b...), nil }

// String carries a string as its bytes, with no copy on Encode.
type String struct{}

func (String) Encode(_ []byte, v string) ([]byte, error) {
	// The caller only reads the result (the Codec contract), so viewing
	// the string's bytes without a copy is safe.
	return unsafe.Slice(unsafe.StringData(v), len(v)), nil
}
func (String) Decode(b []byte) (string, error) { return string(b), nil }
