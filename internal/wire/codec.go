package wire

import (
	"bytes"
	"encoding/gob"
	"os"
	"reflect"
)

var errInvalid = os.ErrInvalid

// empty reports whether values of v's type carry no data (gob refuses to
// encode a struct with no exported fields, such as struct{}).
func empty(t reflect.Type) bool {
	return t == nil || (t.Kind() == reflect.Struct && t.Size() == 0)
}

// Encode returns v in the encoding task arguments and results travel in.
func Encode(v any) ([]byte, error) {
	if empty(reflect.TypeOf(v)) {
		return nil, nil
	}
	if b, ok := encodeFast(v); ok {
		return b, nil
	}
	if b, ok := encodeRaw(v); ok {
		return b, nil
	}
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Decode fills ptr from b; no bytes at all leave the zero value (what an
// absent optional argument, such as a nil InitArg, means).
func Decode(b []byte, ptr any) error {
	if len(b) == 0 || empty(reflect.TypeOf(ptr).Elem()) {
		return nil
	}
	if ok, err := decodeFast(b, ptr); ok {
		return err
	}
	if ok, err := decodeRaw(b, ptr); ok {
		return err
	}
	return gob.NewDecoder(bytes.NewReader(b)).Decode(ptr)
}
