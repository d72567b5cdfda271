package ring

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/shmkit/shmkit/shm"
)

// A header whose tail says the ring is full to its last byte is damaged
// (a ring keeps 8 bytes free for the next header slot, so a legal tail is
// at most capacity-8 ahead of the head): attaching sides fail with
// shm.ErrCorrupt at once, instead of a writer waiting for room no reader
// can ever free (FuzzAttachPipe's 264-byte input hung there).
func TestHostileFullTail(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	b := make([]byte, fuzzPipe.size())
	copy(b, hostilePipe())
	initRing(b[fuzzPipe.ringOff(1):], fuzzRingCap, Blocking)
	p, err := pipeBytes(b)
	if err != nil {
		t.Fatal(err)
	}
	holdBoth(p)
	start := time.Now()
	if err := p.end(1).SendBytes(ctx, []byte("x")); !errors.Is(err, shm.ErrCorrupt) {
		t.Fatalf("send on a ring whose tail is a whole ring ahead: %v", err)
	}
	if _, err := p.end(0).RecvBytes(ctx); !errors.Is(err, shm.ErrCorrupt) {
		t.Fatalf("recv on it: %v", err)
	}
	if el := time.Since(start); el > time.Second {
		t.Fatalf("took %v", el)
	}
	// The same on a plain ring, at capacity and just past the legal bound.
	for _, tail := range []uint64{fuzzRingCap, fuzzRingCap - 4} {
		rb := make([]byte, ringHdrSize+fuzzRingCap)
		initRing(rb, fuzzRingCap, Blocking)
		asRingHdr(rb).prodPos.pos.Store(tail)
		r, err := ringFrom(nil, rb)
		if err != nil {
			t.Fatal(err)
		}
		if err := r.Write(ctx, []byte("x")); !errors.Is(err, shm.ErrCorrupt) {
			t.Errorf("tail %d: write: %v", tail, err)
		}
		if _, err := r.Read(ctx, make([]byte, 8)); !errors.Is(err, shm.ErrCorrupt) {
			t.Errorf("tail %d: read: %v", tail, err)
		}
	}
}
