package wire

import (
	"bytes"
	"testing"
)

func TestPiecesRoundTrip(t *testing.T) {
	in := [][]byte{[]byte("a"), {}, bytes.Repeat([]byte{7}, 300)}
	b := AppendPieces([]byte{9}, in)
	got, ok := ParsePieces(b[1:], uint32(len(in)))
	if !ok || len(got) != len(in) {
		t.Fatalf("ParsePieces = %d pieces, %v", len(got), ok)
	}
	for i := range in {
		if !bytes.Equal(got[i], in[i]) {
			t.Fatalf("piece %d = %q, want %q", i, got[i], in[i])
		}
	}
	for _, bad := range []struct {
		b []byte
		n uint32
	}{
		{b[1 : len(b)-1], 3},               // cut short
		{append(b[1:len(b):len(b)], 0), 3}, // a byte left over
		{b[1:], 4},                         // one piece too many
		{b[1:], 1 << 30},                   // a count no input can hold
	} {
		if _, ok := ParsePieces(bad.b, bad.n); ok {
			t.Fatalf("malformed input of %d bytes, n %d accepted", len(bad.b), bad.n)
		}
	}
}

func TestRecentForgetsOldest(t *testing.T) {
	r := NewRecent[int](2)
	r.Add(1)
	r.Add(2)
	r.Add(2)
	if !r.Has(1) || !r.Has(2) {
		t.Fatal("lost a key within n")
	}
	r.Add(3)
	if r.Has(1) || !r.Has(2) || !r.Has(3) {
		t.Fatal("did not forget the oldest key")
	}
}
