package ring

import (
	"context"
	"testing"
)

// A producer that died between its commit store and its tail store leaves
// committed records past the published tail: the next producer walks over
// them instead of overwriting records the consumer has not read.
func TestProducerTakeoverWalksCommitted(t *testing.T) {
	b := make([]byte, ringHdrSize+1024)
	initRing(b, 1024, Blocking)
	r, err := ringFrom(nil, b)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	r.Write(ctx, []byte("one"))
	tail := r.h.prodPos.pos.Load()
	r.Write(ctx, []byte("two"))
	r.Write(ctx, []byte("three"))
	r.h.prodPos.pos.Store(tail) // as if the producer died before its tail stores

	r2, err := ringFrom(nil, b) // the next producer (and consumer)
	if err != nil {
		t.Fatal(err)
	}
	if err := r2.Write(ctx, []byte("four")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	for _, want := range []string{"one", "two", "three", "four"} {
		n, err := r2.TryRead(buf)
		if err != nil || string(buf[:n]) != want {
			t.Fatalf("got %q %v, want %q", buf[:n], err, want)
		}
	}
}

// A consumer that dies between Peek and Release loses nothing: the next
// consumer reads the same records again.
func TestConsumerDeathBeforeRelease(t *testing.T) {
	b := make([]byte, ringHdrSize+1024)
	initRing(b, 1024, Blocking)
	r, _ := ringFrom(nil, b)
	ctx := context.Background()
	r.Write(ctx, []byte("one"))
	r.Write(ctx, []byte("two"))
	if rec, err := r.TryPeek(); err != nil || string(rec) != "one" {
		t.Fatal(string(rec), err)
	}
	r2, _ := ringFrom(nil, b) // the next consumer; r never released
	for _, want := range []string{"one", "two"} {
		rec, err := r2.TryPeek()
		if err != nil || string(rec) != want {
			t.Fatalf("got %q %v, want %q", rec, err, want)
		}
	}
}
