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
