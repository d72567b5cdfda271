package remote

import "unsafe"

// The package's only unsafe: zero-copy views between a key string and
// the bytes of a frame.

// bytesOf views a string's bytes without copying; the slice must not be
// written.
func bytesOf(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// unsafeString views b as a string without copying; b must not change
// while the string is in use.
func unsafeString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }
