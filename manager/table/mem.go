package table

import "unsafe"

// Index math over the mapped table, in one place. Every caller has already
// checked that off (+ the word's size) lies inside b and is aligned for the
// word: the table's layout is computed from parameters validated at attach
// (layout.go), and offsets read from shared memory go through
// table.block, which checks them.

// layoutAt turns the bytes at b[off:] into a layout struct (the table
// header, a stripe), the one typed cast of the package; the layouts are
// pinned in layout_test.go. The bounds check keeps a mistake a panic
// rather than a stray write.
func layoutAt[T any](b []byte, off uint64) *T {
	var zero T
	_ = b[off+uint64(unsafe.Sizeof(zero))-1]
	return (*T)(unsafe.Pointer(&b[off]))
}

// u32 returns the 32-bit word at b[off:], for atomic access.
func u32(b []byte, off uint64) *uint32 { return (*uint32)(unsafe.Pointer(&b[off])) }

// u64 returns the 64-bit word at b[off:], for atomic access.
func u64(b []byte, off uint64) *uint64 { return (*uint64)(unsafe.Pointer(&b[off])) }

// bytesOf views a string's bytes without copying; the slice must not be
// written.
func bytesOf(s string) []byte { return unsafe.Slice(unsafe.StringData(s), len(s)) }

// unsafeString views b as a string without copying; b must not change
// while the string is in use.
func unsafeString(b []byte) string { return unsafe.String(unsafe.SliceData(b), len(b)) }
