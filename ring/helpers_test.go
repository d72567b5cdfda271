package ring_test

import (
	"encoding/binary"
	"math/rand/v2"

	"github.com/cespare/xxhash/v2"
)

// Test messages: 8-byte producer id, 8-byte sequence number, 8-byte xxhash
// of the rest, then random payload. mkMsg fills b (len >= 24).
const msgHdr = 24

func mkMsg(b []byte, prod, seq uint64, rng *rand.Rand) {
	binary.LittleEndian.PutUint64(b[0:], prod)
	binary.LittleEndian.PutUint64(b[8:], seq)
	p := b[msgHdr:]
	for i := 0; i+8 <= len(p); i += 8 {
		binary.LittleEndian.PutUint64(p[i:], rng.Uint64())
	}
	for i := len(p) &^ 7; i < len(p); i++ {
		p[i] = byte(rng.Uint32())
	}
	binary.LittleEndian.PutUint64(b[16:], xxhash.Sum64(p))
}

// checkMsg verifies the checksum and returns producer and sequence.
func checkMsg(b []byte) (prod, seq uint64, ok bool) {
	if len(b) < msgHdr {
		return 0, 0, false
	}
	prod = binary.LittleEndian.Uint64(b[0:])
	seq = binary.LittleEndian.Uint64(b[8:])
	return prod, seq, binary.LittleEndian.Uint64(b[16:]) == xxhash.Sum64(b[msgHdr:])
}
