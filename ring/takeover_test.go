package ring

import (
	"context"
	"errors"
	"testing"

	"github.com/shmkit/shmkit/shm"
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

// laggingTail returns a ring (and its memory) in which "one", then the
// extra records, were written, with the published tail left after "one",
// as a producer leaves it between its commit and its tail store, and
// "one" and the first of the extra records read and released.
func laggingTail(t *testing.T, extra ...string) ([]byte, *Ring) {
	t.Helper()
	b := make([]byte, ringHdrSize+1024)
	initRing(b, 1024, Blocking)
	r, _ := ringFrom(nil, b)
	ctx := context.Background()
	r.Write(ctx, []byte("one"))
	tail := r.h.prodPos.pos.Load()
	for _, m := range extra {
		r.Write(ctx, []byte(m))
	}
	r.h.prodPos.pos.Store(tail)
	readWant(t, r, "one", extra[0])
	return b, r
}

// readWant reads the records want, in order.
func readWant(t *testing.T, r *Ring, want ...string) {
	t.Helper()
	buf := make([]byte, 64)
	for _, w := range want {
		if n, err := r.TryRead(buf); err != nil || string(buf[:n]) != w {
			t.Fatalf("got %q %v, want %q", buf[:n], err, w)
		}
	}
}

// The producer stores its tail after the commit, so a consumer can read
// records past the published tail; a consumer that starts then (another
// process sharing a pipe's read end) finds the head ahead of the tail and
// goes on, rather than calling the ring corrupt. Seen in CI as
// TestPipeSharedReaders failing with "tail 630160 head 630312".
func TestConsumerStartsAheadOfPublishedTail(t *testing.T) {
	b, _ := laggingTail(t, "two", "three")
	r2, _ := ringFrom(nil, b) // the next consumer
	readWant(t, r2, "three")
	if n, err := r2.TryRead(make([]byte, 64)); !errors.Is(err, ErrEmpty) {
		t.Fatalf("read %d bytes, %v; want ErrEmpty", n, err)
	}
}

// A producer that died between its commit and its tail store, whose
// records were all read since: the next producer walks over them to the
// real tail, which the head has passed, and goes on after them.
func TestProducerTakeoverAfterReadPastTail(t *testing.T) {
	b, r := laggingTail(t, "two")
	r2, _ := ringFrom(nil, b)
	if err := r2.Write(context.Background(), []byte("three")); err != nil {
		t.Fatal(err)
	}
	readWant(t, r, "three")
}

// A head ahead of the tail by more than a ring is corrupt, for either side.
func TestStartHeadFarAheadIsCorrupt(t *testing.T) {
	b := make([]byte, ringHdrSize+1024)
	initRing(b, 1024, Blocking)
	r, _ := ringFrom(nil, b)
	r.h.consPos.pos.Store(2048)
	if _, err := r.TryRead(make([]byte, 8)); !errors.Is(err, shm.ErrCorrupt) {
		t.Fatalf("read: %v, want ErrCorrupt", err)
	}
	if err := r.TryWrite([]byte("x")); !errors.Is(err, shm.ErrCorrupt) {
		t.Fatalf("write: %v, want ErrCorrupt", err)
	}
}
