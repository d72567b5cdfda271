package wire

import "encoding/binary"

// The argument list of an executor's chunk record (package pool's rings,
// cluster/natscluster's messages): each piece as a 4-byte little-endian
// length, then its bytes.

// AppendPieces appends bs to b, each as its length and its bytes.
func AppendPieces(b []byte, bs [][]byte) []byte {
	for _, p := range bs {
		b = binary.LittleEndian.AppendUint32(b, uint32(len(p)))
		b = append(b, p...)
	}
	return b
}

// ParsePieces reads n pieces that must fill b exactly; they alias b. ok is
// false for anything malformed (a length past the end, bytes left over).
func ParsePieces(b []byte, n uint32) (pieces [][]byte, ok bool) {
	if uint64(n) > uint64(len(b)/4) {
		return nil, false
	}
	pieces = make([][]byte, 0, n)
	for range n {
		if len(b) < 4 {
			return nil, false
		}
		l := binary.LittleEndian.Uint32(b)
		if uint64(l) > uint64(len(b)-4) {
			return nil, false
		}
		pieces, b = append(pieces, b[4:4+l]), b[4+l:]
	}
	return pieces, len(b) == 0
}
