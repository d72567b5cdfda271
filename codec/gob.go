package codec

import (
	"bytes"
	"encoding/gob"
	"encoding/json"
)

// Gob encodes any value encoding/gob can carry, each encoding a
// self-contained gob stream (type information included, so any process can
// decode any message; bulky for small values). Shared objects (sync,
// value, array, ring, manager handles) encode as their handles through
// their MarshalBinary.
type Gob[T any] struct{}

func (Gob[T]) Encode(scratch []byte, v T) ([]byte, error) {
	buf := bytes.NewBuffer(scratch[:0])
	if err := gob.NewEncoder(buf).Encode(&v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func (Gob[T]) Decode(b []byte) (T, error) {
	var v T
	err := gob.NewDecoder(bytes.NewReader(b)).Decode(&v)
	return v, err
}

// JSON encodes with encoding/json: readable from any language.
type JSON[T any] struct{}

func (JSON[T]) Encode(scratch []byte, v T) ([]byte, error) {
	buf := bytes.NewBuffer(scratch[:0])
	if err := json.NewEncoder(buf).Encode(v); err != nil {
		return nil, err
	}
	b := buf.Bytes()
	return b[:len(b)-1], nil // Encoder appends a newline
}

func (JSON[T]) Decode(b []byte) (T, error) {
	var v T
	err := json.Unmarshal(b, &v)
	return v, err
}
