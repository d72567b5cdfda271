package ring_test

import (
	"errors"
	"os"
	"testing"

	"github.com/shmkit/shmkit/internal/testutil/segtest"
	"github.com/shmkit/shmkit/ring"
	"github.com/shmkit/shmkit/shm"
)

func TestBadInput(t *testing.T) {
	seg := segtest.NewSize(t, 4<<20)
	for _, o := range []*ring.Options{{Capacity: -1}, {Capacity: 1 << 50}, {SlotSize: 12}, {SlotSize: 100}, {Participants: -3}} {
		if _, err := ring.NewMPMC(seg, "bad", o); !errors.Is(err, os.ErrInvalid) {
			t.Errorf("queue options %+v: %v", *o, err)
		}
	}
	if _, err := ring.NewRing(seg, "bad", &ring.Options{Capacity: -5}); !errors.Is(err, os.ErrInvalid) {
		t.Errorf("ring capacity -5: %v", err)
	}
	r, err := ring.NewRing(seg, "r", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.TryReserve(-1); !errors.Is(err, os.ErrInvalid) {
		t.Errorf("reserve -1: %v", err)
	}
	q, err := ring.NewMPMC(seg, "q", nil)
	if err != nil {
		t.Fatal(err)
	}
	// Handles of the wrong kind.
	if _, err := shm.AttachAs[ring.Ring](q.Handle()); !errors.Is(err, shm.ErrWrongKind) {
		t.Errorf("ring from a queue handle: %v", err)
	}
	if _, err := shm.AttachAs[ring.MPMC](r.Handle()); !errors.Is(err, shm.ErrWrongKind) {
		t.Errorf("queue from a ring handle: %v", err)
	}
	if _, _, err := ring.OpenPipe(seg, "q"); !errors.Is(err, shm.ErrWrongKind) {
		t.Errorf("pipe from a queue: %v", err)
	}
	var c ring.Conn
	if err := c.UnmarshalBinary([]byte{1}); !errors.Is(err, os.ErrInvalid) {
		t.Errorf("pipe end from junk: %v", err)
	}
	var rr ring.Ring
	if err := rr.UnmarshalBinary([]byte("junk")); err == nil {
		t.Error("ring from junk")
	}
	// An out-of-bounds handle: the right kind, an offset past the segment.
	h := r.Handle()
	h.Offset = 1 << 40
	if _, err := shm.AttachAs[ring.Ring](h); err == nil {
		t.Error("ring from an out-of-bounds handle")
	}
	if _, err := ring.OpenJoinableQueue[int](seg, "q"); !errors.Is(err, shm.ErrWrongKind) {
		t.Errorf("joinable from a plain queue: %v", err)
	}
}
