package manager

import (
	"iter"
	"unsafe"
)

// bytesOf views a string's bytes without copying; the slice must not be
// written.
func bytesOf(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// unsafeString views b as a string without copying; b must not change
// while the string is in use.
func unsafeString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }

func keysOf(s iter.Seq2[string, []byte]) iter.Seq[string] {
	return func(yield func(string) bool) {
		for k := range s {
			if !yield(k) {
				return
			}
		}
	}
}

func valuesOf(s iter.Seq2[string, []byte]) iter.Seq[[]byte] {
	return func(yield func([]byte) bool) {
		for _, v := range s {
			if !yield(v) {
				return
			}
		}
	}
}
