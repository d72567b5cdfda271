package value

import (
	"encoding/binary"
	"sync/atomic"
	"unsafe"
)

// Copies between a Go value and data words in shared memory. Every word
// moves with a 64-bit atomic load or store: the sequence lock's re-check
// of the sequence number (a sequentially consistent load) can then not be
// reordered before the data loads on any architecture, which a plain copy
// would not guarantee on arm64. Bytes past size in the last word are
// written as zero and ignored when read.

// This file and layout.go are the package's only users of unsafe: the byte
// views below are of Go values the caller owns (bytesOf) and of the
// object's data area, whose bounds and 8-byte alignment newBase and create
// have checked (wordsOf).

// bytesOf views the size bytes of *p (size is T's size, from typeInfo).
func bytesOf[T any](p *T, size int) []byte { return unsafe.Slice((*byte)(unsafe.Pointer(p)), size) }

// wordsOf views b, 8-byte aligned and a multiple of 8 long, as words.
func wordsOf(b []byte) []uint64 { return unsafe.Slice((*uint64)(unsafe.Pointer(&b[0])), len(b)/8) }

// lowHalf is the 32-bit word at the start of *w (little-endian: its low
// half), for the 4-byte kinds of Int and Float.
func lowHalf(w *uint64) *uint32 { return (*uint32)(unsafe.Pointer(w)) }

// readWords copies the words src into d (len(d) bytes).
func readWords(d []byte, src []uint64) {
	size := len(d)
	for i := range src {
		w := atomic.LoadUint64(&src[i])
		if off := i * 8; off+8 <= size {
			binary.LittleEndian.PutUint64(d[off:], w)
		} else {
			var t [8]byte
			binary.LittleEndian.PutUint64(t[:], w)
			copy(d[off:], t[:size-off])
		}
	}
}

// writeWords copies s (len(s) bytes) into the words dst.
func writeWords(dst []uint64, s []byte) {
	size := len(s)
	for i := range dst {
		var w uint64
		if off := i * 8; off+8 <= size {
			w = binary.LittleEndian.Uint64(s[off:])
		} else {
			var t [8]byte
			copy(t[:], s[off:])
			w = binary.LittleEndian.Uint64(t[:])
		}
		atomic.StoreUint64(&dst[i], w)
	}
}
