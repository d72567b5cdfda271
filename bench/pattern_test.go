package bench

import (
	"bytes"
	"encoding/binary"
	"math/rand/v2"
	"testing"
)

// TestPatternGrowsTheSame: the pattern grown piece by piece is the table
// generated at once, so every process agrees on it however far each grew.
func TestPatternGrowsTheSame(t *testing.T) {
	r := rand.New(rand.NewPCG(0x5348_4d4b, 0x4954))
	want := make([]byte, 1<<20)
	for i := 0; i+8 <= len(want); i += 8 {
		binary.LittleEndian.PutUint64(want[i:], r.Uint64())
	}
	got := ensurePattern(1 << 20)
	if len(got) < len(want)+windowRange || !bytes.Equal(got[:len(want)], want) {
		t.Fatalf("grown pattern of %d bytes differs from the generated one", len(got))
	}
	p := make([]byte, 1<<20)
	fill(p, 77)
	if err := check(p, 77); err != nil {
		t.Fatal(err)
	}
}
