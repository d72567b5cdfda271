package shm

import (
	"errors"
	"testing"

	"github.com/edsrzf/mmap-go"
)

// fromBytes validates b as a segment without mapping a file: what Open does
// after mmap, on memory the fuzzer controls.
func fromBytes(b []byte) (*Segment, error) {
	s := &Segment{mm: mmap.MMap(b), size: uint64(len(b))}
	return s, s.validate()
}

func validSegment(t testing.TB) []byte {
	s, err := Anonymous(8192, &Options{Objects: 4})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	s.Alloc("a", 100, 8)
	s.AllocObject("m", KindMutex, 1, 64, 64, nil)
	return append([]byte(nil), s.Bytes()...)
}

// FuzzAttach feeds arbitrary bytes to header validation and, when they
// pass, to every directory read and an allocation: nothing may panic or
// read outside the bytes.
func FuzzAttach(f *testing.F) {
	good := validSegment(f)
	f.Add(good)
	f.Add(good[:300])
	f.Add([]byte(Magic))
	bad := append([]byte(nil), good...)
	bad[256+48] = 0xff // entry 0 offset
	f.Add(bad)
	f.Fuzz(func(t *testing.T, b []byte) {
		s, err := fromBytes(b)
		if err != nil {
			if !errors.Is(err, ErrNotShmkit) && !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrVersion) {
				t.Fatalf("unexpected error kind: %v", err)
			}
			return
		}
		objs, _ := s.Objects()
		for _, o := range objs {
			if o.Offset()+o.Size() > len(b) {
				t.Fatalf("object %v outside %d bytes", o, len(b))
			}
			_ = o.Bytes()
		}
		s.Lookup("a")
		s.Info()
		if len(b)%8 == 0 { // the header's atomics need alignment, as a mapping has
			s.Alloc("new", 16, 8)
		}
	})
}

// FuzzHandle decodes arbitrary handle bytes.
func FuzzHandle(f *testing.F) {
	b, _ := Handle{SegmentID: 7, Segment: "seg", Object: "obj", Kind: KindQueue, Offset: 4096, Size: 10}.MarshalBinary()
	f.Add(b)
	f.Add([]byte("SKH1"))
	f.Fuzz(func(t *testing.T, b []byte) {
		var h Handle
		if err := h.UnmarshalBinary(b); err != nil {
			return
		}
		again, err := h.MarshalBinary()
		if err != nil || string(again) != string(b) {
			t.Fatalf("re-encoding differs: %q vs %q (%v)", again, b, err)
		}
	})
}
