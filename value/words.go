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

// readWords copies size bytes at dst from the words src.
func readWords(dst unsafe.Pointer, src []uint64, size int) {
	d := unsafe.Slice((*byte)(dst), size)
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

// writeWords copies size bytes at src into the words dst.
func writeWords(dst []uint64, src unsafe.Pointer, size int) {
	s := unsafe.Slice((*byte)(src), size)
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
