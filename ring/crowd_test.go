package ring

import (
	"runtime"
	"testing"

	"github.com/shmkit/shmkit/internal/testutil/segtest"
)

// TestCrowded: a queue is crowded when more distinct processes own
// participant entries than there are CPUs (several entries of one process
// count once), and the verdict is kept for crowdEvery.
func TestCrowded(t *testing.T) {
	q, err := NewMPMC(segtest.NewSize(t, 1<<20), "q", &Options{Capacity: 16})
	if err != nil {
		t.Fatal(err)
	}
	if int(q.h.parts) < runtime.NumCPU()+2 {
		t.Skipf("%d participant entries for %d CPUs", q.h.parts, runtime.NumCPU())
	}
	if n := q.countOwners(100); n != 0 {
		t.Fatalf("%d owners of a fresh queue", n)
	}
	q.entry(0).id.Store(7)
	q.entry(1).id.Store(7) // one process, two entries
	if n := q.countOwners(100); n != 1 {
		t.Fatalf("%d owners, want 1", n)
	}
	if q.crowded() {
		t.Fatal("one process: crowded")
	}
	for i := range runtime.NumCPU() {
		q.entry(2 + i).id.Store(uint64(100 + i))
	}
	if q.crowded() {
		t.Fatal("the verdict of a moment ago was not kept")
	}
	q.crowd.Store(0) // forget it
	if !q.crowded() {
		t.Fatalf("%d processes on %d CPUs: not crowded", runtime.NumCPU()+1, runtime.NumCPU())
	}
}
