package shm_test

import (
	"errors"
	"os"
	"syscall"
	"testing"

	"github.com/shmkit/shmkit/shm"
)

func minorFaults(t *testing.T) int64 {
	t.Helper()
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		t.Fatal(err)
	}
	return ru.Minflt
}

// faultsTouching writes one byte per page of b and returns the minor page
// faults that took.
func faultsTouching(t *testing.T, b []byte) int64 {
	before := minorFaults(t)
	for i := 0; i < len(b); i += os.Getpagesize() {
		b[i]++
	}
	return minorFaults(t) - before
}

// After Populate, a first pass over a fresh segment takes (almost) no page
// faults; without it, one per page. The contents are kept.
func TestPopulate(t *testing.T) {
	const size = 16 << 20
	pages := int64(size / os.Getpagesize())
	fresh := func() (*shm.Segment, []byte) {
		seg, err := shm.Anonymous(size+1<<20, nil)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { seg.Close() })
		o, err := seg.Alloc("data", size, 8)
		if err != nil {
			t.Fatal(err)
		}
		return seg, o.Bytes()
	}
	_, plain := fresh()
	if n := faultsTouching(t, plain); n < pages/2 {
		t.Fatalf("a fresh segment took %d faults over %d pages: the test cannot tell", n, pages)
	}
	seg, b := fresh()
	b[12345] = 42
	if err := seg.Populate(); err != nil {
		t.Fatal(err)
	}
	if n := faultsTouching(t, b); n > pages/8 {
		t.Fatalf("after Populate, %d faults over %d pages", n, pages)
	}
	if b[12345] != 42 { // touching writes only the first byte of each page
		t.Fatalf("contents changed: %d", b[12345])
	}
	// An object at an offset that is not on a page.
	if _, err := seg.Alloc("pad", 100, 8); err != nil {
		t.Fatal(err)
	}
	o, err := seg.Alloc("odd", 3*4096, 8)
	if err != nil {
		t.Fatal(err)
	}
	if o.Offset()%os.Getpagesize() == 0 {
		t.Fatalf("object at %d is page-aligned: the test wants one that is not", o.Offset())
	}
	if err := o.Populate(); err != nil {
		t.Fatalf("object at %d: %v", o.Offset(), err)
	}
	seg.Close()
	if err := seg.Populate(); !errors.Is(err, os.ErrClosed) {
		t.Fatalf("closed segment: %v", err)
	}
	if err := o.Populate(); !errors.Is(err, os.ErrClosed) {
		t.Fatalf("object of a closed segment: %v", err)
	}
}
