package value

import (
	"fmt"
	"reflect"
	"strconv"
	"strings"
)

// MaxDType is the room for a numpy type string in a value's or an
// array's header: NUL-padded ASCII.
const MaxDType = 16

// DType returns the numpy type string of t, as values and arrays record
// it in their header for other languages (python/shmkit.py reads it):
// "<i8" for int64 and int, "<f4" for float32, "|b1" for bool, "<c16" for
// complex128, and for a Go array of those numpy's subarray form, "(3,)<f8"
// for [3]float64 or "(2,3)<i4" for [2][3]int32. It returns "" for every
// other type (structs, and a string longer than MaxDType): Python then
// sees the bytes only. A named numeric type (type Celsius float64) gets
// its underlying type's string.
func DType(t reflect.Type) string {
	if t == nil {
		return ""
	}
	var dims []string
	for t.Kind() == reflect.Array {
		dims = append(dims, strconv.Itoa(t.Len()))
		t = t.Elem()
	}
	base := scalarDType(t)
	if base == "" {
		return ""
	}
	s := base
	if len(dims) > 0 {
		s = "(" + strings.Join(dims, ",")
		if len(dims) == 1 {
			s += ","
		}
		s += ")" + base
	}
	if len(s) > MaxDType {
		return ""
	}
	return s
}

// scalarDType is numpy's string for a numeric scalar type, sized by
// Go's Sizeof (int, uint and uintptr are 8 bytes on 64-bit platforms).
func scalarDType(t reflect.Type) string {
	var code byte
	switch t.Kind() {
	case reflect.Bool:
		return "|b1"
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		code = 'i'
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64, reflect.Uintptr:
		code = 'u'
	case reflect.Float32, reflect.Float64:
		code = 'f'
	case reflect.Complex64, reflect.Complex128:
		code = 'c'
	default:
		return ""
	}
	order := byte('<')
	if t.Size() == 1 {
		order = '|' // numpy's "byte order not applicable"
	}
	return fmt.Sprintf("%c%c%d", order, code, t.Size())
}

// DTypeField is the header field that records a numpy type string:
// NUL-padded ASCII, in a value's header and in an array's.
type DTypeField [MaxDType]byte

// Set writes s (at most MaxDType bytes; DType's strings are) NUL-padded.
func (f *DTypeField) Set(s string) {
	*f = DTypeField{}
	copy(f[:], s)
}

// String returns the recorded string: the bytes up to the first NUL, or
// "" if they are not printable ASCII (a corrupt header).
func (f DTypeField) String() string {
	n := 0
	for n < len(f) && f[n] != 0 {
		if f[n] < ' ' || f[n] > '~' {
			return ""
		}
		n++
	}
	return string(f[:n])
}
