package bench

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
)

// Payloads. Message number seq of n bytes is:
//
//	bytes 0..8   seq ^ seqKey, little-endian (all n bytes when n == 8)
//	bytes 8..n   pattern[w+8 : w+n], where w = window(seq)
//
// pattern is one fixed pseudo-random table, the same in every process (a
// fixed seed), so a receiver knows exactly what every byte of message seq
// must be. Filling and checking are a memmove and a memcmp: cheap enough to
// run on every message at 1 MiB, and different for consecutive messages, so
// a stale slot, a lost or duplicated message or a torn copy cannot pass.
// Messages are at least 8 bytes (MinSize).

// MinSize is the smallest message: the sequence number alone.
const MinSize = 8

// MaxSize is the largest message the suite sends.
const MaxSize = 16 << 20

const (
	seqKey      = 0x5a17_c0de_9e37_79b9
	windowRange = 251 // a prime, so windows cycle slowly against sizes
)

// ErrCorrupt: a received message differs from what its sender wrote.
var ErrCorrupt = errors.New("payload check failed")

var pattern = func() []byte {
	r := rand.New(rand.NewPCG(0x5348_4d4b, 0x4954))
	p := make([]byte, MaxSize+windowRange+8)
	for i := 0; i+8 <= len(p); i += 8 {
		binary.LittleEndian.PutUint64(p[i:], r.Uint64())
	}
	return p
}()

func window(seq uint64) int { return int(seq % windowRange) }

// fill writes message seq into p (len(p) >= MinSize).
func fill(p []byte, seq uint64) {
	w := window(seq)
	copy(p[8:], pattern[w+8:w+len(p)])
	binary.LittleEndian.PutUint64(p, seq^seqKey)
}

// check reports whether p is exactly message seq.
func check(p []byte, seq uint64) error {
	if got := msgSeq(p); got != seq {
		return fmt.Errorf("message %d: got sequence %d (%d bytes): %w", seq, got, len(p), ErrCorrupt)
	}
	w := window(seq)
	if !bytes.Equal(p[8:], pattern[w+8:w+len(p)]) {
		return fmt.Errorf("message %d: payload of %d bytes differs: %w", seq, len(p), ErrCorrupt)
	}
	return nil
}

// msgSeq returns the sequence number message p claims to be.
func msgSeq(p []byte) uint64 { return binary.LittleEndian.Uint64(p) ^ seqKey }

// checkAny checks p against the sequence number it carries and returns that
// number (fanin: consumers do not know which message comes next).
func checkAny(p []byte) (uint64, error) {
	seq := msgSeq(p)
	return seq, check(p, seq)
}

// flip is the corruption test hook: it flips one byte of message p, one a
// check must catch (the last, so the sequence number stays plausible).
func flip(p []byte) { p[len(p)-1] ^= 0x40 }
