package bench

import "testing"

// TestWordPatternChecksEveryByte: small messages (the word-wide format) of
// every length near a word boundary pass their own check, and fail it with
// any one byte flipped, or as another message.
func TestWordPatternChecksEveryByte(t *testing.T) {
	for _, n := range []int{8, 9, 15, 16, 17, 63, 64, 65, 100, wordMax} {
		p := make([]byte, n)
		for _, seq := range []uint64{0, 1, 250, 251, 1 << 40} {
			fill(p, seq)
			if err := check(p, seq); err != nil {
				t.Fatalf("%d bytes, message %d: %v", n, seq, err)
			}
			if check(p, seq+1) == nil || check(p, seq^1<<40) == nil {
				t.Fatalf("%d bytes: message %d passes as another", n, seq)
			}
			for i := range p {
				p[i] ^= 0x40
				if check(p, seq) == nil {
					t.Fatalf("%d bytes, message %d: byte %d flipped passes", n, seq, i)
				}
				p[i] ^= 0x40
			}
		}
	}
}

// TestFill64SameWords: the straight-line 64-byte fill and check write and
// accept exactly what the general loops do, for every message.
func TestFill64SameWords(t *testing.T) {
	a, b := make([]byte, 64), make([]byte, 64)
	for _, seq := range []uint64{0, 1, 2, 250, 251, 1 << 40, 1<<64 - 1} {
		fill64(a, seq)
		fillWordsLoop(b, seq)
		if string(a) != string(b) {
			t.Fatalf("message %d: fill64 %x, the loop %x", seq, a, b)
		}
		for i := range a {
			a[i] ^= 1
			if x, y := xor64(a, seq), wordsXorLoop(a, seq); x != y || x == 0 {
				t.Fatalf("message %d, byte %d flipped: xor64 %#x, the loop %#x", seq, i, x, y)
			}
			a[i] ^= 1
		}
		if xor64(a, seq) != 0 || xor64(a, seq+1) == 0 {
			t.Fatalf("message %d: checked as %d or not as itself", seq, seq+1)
		}
	}
}
