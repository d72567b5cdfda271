package sync

import "unsafe"

// layoutAt is the one place in this package that turns mapped bytes into a
// layout struct (the layouts are pinned in layout_test.go; the lock word's
// own cast is owner.LockAt). Callers have checked, through alloc, open or
// attach (object.go), that b holds the object of the right kind, version
// and size, 8-byte aligned; the bounds check here is what keeps a mistake
// a panic rather than a stray write into the neighbouring object.
func layoutAt[T any](b []byte) *T {
	var zero T
	_ = b[unsafe.Sizeof(zero)-1]
	return (*T)(unsafe.Pointer(&b[0]))
}

// aligned8 reports whether b starts on an 8-byte boundary, as every atomic
// word of a layout needs.
func aligned8(b []byte) bool { return len(b) > 0 && uintptr(unsafe.Pointer(&b[0]))%8 == 0 }
