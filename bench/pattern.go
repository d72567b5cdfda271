package bench

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
)

// Payloads. Message number seq of n bytes is, up to wordMax bytes:
//
//	bytes 0..8       s = seq ^ seqKey, little-endian (all n bytes when n == 8)
//	bytes 8k..8k+8   s*wordMul + k*wordStep, little-endian (k >= 1; the
//	                 last word cut to the message's end)
//
// and, for larger messages:
//
//	bytes 0..8   s, as above
//	bytes 8..n   pattern[w+8 : w+n], where w = window(seq)
//
// The receiver knows exactly what every byte of message seq must be, and
// checks every one. Small messages are generated and compared a word at a
// time (one add, one store or one load and xor per 8 bytes, no table
// lookup): as cheap as a check of every byte gets, so that a 64-byte stream
// measures the transport rather than the check. wordMul is odd, so two
// sequence numbers give different s*wordMul and then differ in every word:
// a stale slot, a lost or duplicated message or a torn copy cannot pass.
// Large ones are a memmove and a memcmp from pattern, a fixed
// pseudo-random table, the same in every process (a fixed seed), faster
// than generating words from 64 KiB on, and different for consecutive
// messages. Messages are at least 8 bytes (MinSize). CPython's side
// (python/mp_bench.py) checks its own messages the table's way at every
// size: its figures are a Python process's, the table or not.

// MinSize is the smallest message: the sequence number alone.
const MinSize = 8

// MaxSize is the largest message the suite sends.
const MaxSize = 16 << 20

const (
	seqKey      = 0x5a17_c0de_9e37_79b9
	windowRange = 251 // a prime, so windows cycle slowly against sizes
	wordMax     = 4 << 10
	wordMul     = 0x9e37_79b9_7f4a_7c15 // odd
	wordStep    = 0xd1b5_4a32_d192_ed03
	wordStep2   = 0xa36a9465a325da06 // 2, 3 and 4 times wordStep, mod 2^64
	wordStep3   = 0x751fde9874b8c709
	wordStep4   = 0x46d528cb464bb40c
	wordStep5   = wordStep * 5 % (1 << 64) // 5, 6 and 7 times: fill64's
	wordStep6   = wordStep * 6 % (1 << 64)
	wordStep7   = wordStep * 7 % (1 << 64)
)

// ErrCorrupt: a received message differs from what its sender wrote.
var ErrCorrupt = errors.New("payload check failed")

// The pattern is generated as far as it is needed, not at start-up: every
// process that imports bench (the shmkit binary, the test binary, and so
// every child they start) would otherwise pay for it before main, which is
// in every process start the spawn scenario times: 16 MiB took about 13 ms,
// and even 64 KiB of it 0.15 ms of the package's 0.25 ms of initialisation
// (GODEBUG=inittrace=1).
// It only ever grows, continuing the same generator, so its bytes are the
// same in every process however far each has grown it. Readers load the
// current slice once per call; a grower publishes a longer copy.
var pattern = struct {
	mu  sync.Mutex
	rng *rand.Rand
	cur atomic.Pointer[[]byte]
}{rng: rand.New(rand.NewPCG(0x5348_4d4b, 0x4954))}

// ensurePattern grows the pattern to serve messages of size bytes. Cases
// call it before their timed part (RunCase, runPeer), so a first message
// never pays for it.
func ensurePattern(size int) []byte {
	need := min(max(size, MinSize), MaxSize) + windowRange + 8
	if p := pattern.cur.Load(); p != nil && len(*p) >= need {
		return *p
	}
	pattern.mu.Lock()
	defer pattern.mu.Unlock()
	var old []byte
	if p := pattern.cur.Load(); p != nil {
		old = *p
	}
	if len(old) >= need {
		return old
	}
	n := 64 << 10
	for n < need {
		n *= 2
	}
	n = min(n, MaxSize+windowRange+8) &^ 7
	if n < need {
		n = (need + 7) &^ 7
	}
	p := make([]byte, n)
	copy(p, old)
	for i := len(old) &^ 7; i+8 <= n; i += 8 {
		binary.LittleEndian.PutUint64(p[i:], pattern.rng.Uint64())
	}
	pattern.cur.Store(&p)
	return p
}

// patternFor returns the pattern, long enough for a message of n bytes.
func patternFor(n int) []byte {
	if p := pattern.cur.Load(); p != nil && len(*p) >= n+windowRange+8 {
		return *p
	}
	return ensurePattern(n)
}

func window(seq uint64) int { return int(seq % windowRange) }

// fill writes message seq into p (len(p) >= MinSize).
func fill(p []byte, seq uint64) {
	if len(p) <= wordMax {
		fillWords(p, seq)
		return
	}
	fillTable(p, seq)
}

// fillTable writes message seq into p from the pattern table.
func fillTable(p []byte, seq uint64) {
	w := window(seq)
	copyPieces(p[8:], patternFor(len(p))[w+8:w+len(p)])
	binary.LittleEndian.PutUint64(p, seq^seqKey)
}

// fillWords writes a small message seq into p. Words go four at a time,
// each computed from the run's start (no chain of adds between them), so
// the stores issue in parallel.
func fillWords(p []byte, seq uint64) {
	if len(p) == 64 {
		fill64(p, seq)
		return
	}
	fillWordsLoop(p, seq)
}

// fill64 is fillWords for the 64-byte messages of the stream, fanin and
// pingpong scenarios, in straight-line code: the same words, without the
// loops' counters and bounds checks, which cost the 64-byte streams about
// as much as their transports did (BenchmarkStreamCost).
func fill64(p []byte, seq uint64) {
	p = p[:64:64]
	s := seq ^ seqKey
	v := s * wordMul
	le := binary.LittleEndian
	le.PutUint64(p[0:], s)
	le.PutUint64(p[8:], v+wordStep)
	le.PutUint64(p[16:], v+wordStep2)
	le.PutUint64(p[24:], v+wordStep3)
	le.PutUint64(p[32:], v+wordStep4)
	le.PutUint64(p[40:], v+wordStep5)
	le.PutUint64(p[48:], v+wordStep6)
	le.PutUint64(p[56:], v+wordStep7)
}

// xor64 is wordsXor for a 64-byte message (see fill64).
func xor64(p []byte, seq uint64) uint64 {
	p = p[:64:64]
	s := seq ^ seqKey
	v := s * wordMul
	le := binary.LittleEndian
	return (le.Uint64(p[0:]) ^ s) |
		(le.Uint64(p[8:]) ^ (v + wordStep)) |
		(le.Uint64(p[16:]) ^ (v + wordStep2)) |
		(le.Uint64(p[24:]) ^ (v + wordStep3)) |
		(le.Uint64(p[32:]) ^ (v + wordStep4)) |
		(le.Uint64(p[40:]) ^ (v + wordStep5)) |
		(le.Uint64(p[48:]) ^ (v + wordStep6)) |
		(le.Uint64(p[56:]) ^ (v + wordStep7))
}

// fillWordsLoop is fillWords for any length.
func fillWordsLoop(p []byte, seq uint64) {
	s := seq ^ seqKey
	binary.LittleEndian.PutUint64(p, s)
	v := s * wordMul
	i := 8
	for ; i+32 <= len(p); i += 32 {
		c := p[i : i+32 : i+32]
		binary.LittleEndian.PutUint64(c[0:], v+wordStep)
		binary.LittleEndian.PutUint64(c[8:], v+wordStep2)
		binary.LittleEndian.PutUint64(c[16:], v+wordStep3)
		binary.LittleEndian.PutUint64(c[24:], v+wordStep4)
		v += wordStep4
	}
	for ; i+8 <= len(p); i += 8 {
		v += wordStep
		binary.LittleEndian.PutUint64(p[i:], v)
	}
	if i < len(p) {
		v += wordStep
		for ; i < len(p); i++ {
			p[i] = byte(v)
			v >>= 8
		}
	}
}

// wordsXor returns the differences of p from small message seq, every
// word's or-ed together: 0 when p is exactly the message. Four words at a
// time, as fillWords writes them.
func wordsXor(p []byte, seq uint64) uint64 {
	if len(p) == 64 {
		return xor64(p, seq)
	}
	return wordsXorLoop(p, seq)
}

// wordsXorLoop is wordsXor for any length.
func wordsXorLoop(p []byte, seq uint64) uint64 {
	s := seq ^ seqKey
	v := s * wordMul
	d := binary.LittleEndian.Uint64(p) ^ s
	i := 8
	for ; i+32 <= len(p); i += 32 {
		c := p[i : i+32 : i+32]
		// Parenthesized: ^ and | share a precedence in Go.
		d |= (binary.LittleEndian.Uint64(c[0:]) ^ (v + wordStep)) |
			(binary.LittleEndian.Uint64(c[8:]) ^ (v + wordStep2)) |
			(binary.LittleEndian.Uint64(c[16:]) ^ (v + wordStep3)) |
			(binary.LittleEndian.Uint64(c[24:]) ^ (v + wordStep4))
		v += wordStep4
	}
	for ; i+8 <= len(p); i += 8 {
		v += wordStep
		d |= binary.LittleEndian.Uint64(p[i:]) ^ v
	}
	if i < len(p) {
		v += wordStep
		for ; i < len(p); i++ {
			d |= uint64(p[i] ^ byte(v))
			v >>= 8
		}
	}
	return d
}

// wordsDiffer reports whether p differs anywhere from small message seq.
func wordsDiffer(p []byte, seq uint64) bool { return wordsXor(p, seq) != 0 }

// runDiffers reports whether any of the n small messages seq, seq+1, …
// laid every stride bytes in b (message i at b[i*stride:][:size]) differs
// from what it must be: one branch per run (a receiver then finds which
// with check).
func runDiffers(b []byte, n, size, stride int, seq uint64) bool {
	if n == 0 {
		return false
	}
	_ = b[(n-1)*stride+size-1]
	var d uint64
	if size == 64 {
		for i := range n {
			d |= xor64(b[i*stride:], seq+uint64(i))
		}
		return d != 0
	}
	for i := range n {
		d |= wordsXor(b[i*stride:i*stride+size], seq+uint64(i))
	}
	return d != 0
}

// copyPieces is copy in pieces of memcpyPiece bytes: one copy of 1 MiB or
// more uses non-temporal stores on AMD, which send a message the peer is
// about to read out of the caches (see memcpy.go); a sender that writes
// large messages in place should do the same as the ring's own Write.
func copyPieces(dst, src []byte) {
	for k := 0; k < len(src); k += memcpyPiece {
		copy(dst[k:], src[k:min(k+memcpyPiece, len(src))])
	}
}

// check reports whether p is exactly message seq.
func check(p []byte, seq uint64) error {
	if len(p) <= wordMax {
		if wordsDiffer(p, seq) {
			return checkFailed(p, seq)
		}
		return nil
	}
	return checkTable(p, seq)
}

// checkTable checks p against the pattern table's message seq.
func checkTable(p []byte, seq uint64) error {
	if got := msgSeq(p); got != seq {
		return checkFailed(p, seq)
	}
	w := window(seq)
	if !bytes.Equal(p[8:], patternFor(len(p))[w+8:w+len(p)]) {
		return fmt.Errorf("message %d: payload of %d bytes differs: %w", seq, len(p), ErrCorrupt)
	}
	return nil
}

// checkFailed says how p differs from message seq (not on the hot path).
func checkFailed(p []byte, seq uint64) error {
	if got := msgSeq(p); got != seq {
		return fmt.Errorf("message %d: got sequence %d (%d bytes): %w", seq, got, len(p), ErrCorrupt)
	}
	return fmt.Errorf("message %d: payload of %d bytes differs: %w", seq, len(p), ErrCorrupt)
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
