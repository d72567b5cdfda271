// Package segtest gives a test an anonymous shared-memory segment, closed
// at cleanup. Test code only.
//
// It imports shm, so shm's own (internal) tests cannot use it; the helpers
// that import nothing of shmkit are in package testutil, one floor down.
package segtest

import (
	"testing"

	"github.com/shmkit/shmkit/shm"
)

// Size is the room New gives: enough for the objects of any one test of
// sync, value and array.
const Size = 1 << 20

// New returns an anonymous segment with room for Size bytes of objects,
// closed at cleanup.
func New(tb testing.TB) *shm.Segment {
	tb.Helper()
	return NewSize(tb, Size)
}

// NewSize returns an anonymous segment with room for size bytes of
// objects, closed at cleanup.
func NewSize(tb testing.TB, size int) *shm.Segment {
	tb.Helper()
	seg, err := shm.Anonymous(size, nil)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { seg.Close() })
	return seg
}
