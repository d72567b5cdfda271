package ring

// copyChunk bounds each copy of a large message. Go's copy of 1 MiB or more
// switches to non-temporal stores (on AMD, and on Intel with AVX), which
// bypass the cache the consumer is about to read from and halve bandwidth;
// 256 KiB pieces stay on the cached path (see DESIGN.md).
const copyChunk = 256 << 10

// copyChunked is copy(dst, src) in pieces of at most copyChunk bytes. The
// small case is inlined into callers.
func copyChunked(dst, src []byte) int {
	if len(src) <= copyChunk || len(dst) <= copyChunk {
		return copy(dst, src)
	}
	return copyLarge(dst, src)
}

func copyLarge(dst, src []byte) int {
	n := min(len(dst), len(src))
	for off := 0; off < n; off += copyChunk {
		end := min(off+copyChunk, n)
		copy(dst[off:end], src[off:end])
	}
	return n
}
