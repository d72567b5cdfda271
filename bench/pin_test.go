package bench

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/shmkit/shmkit/internal/kernel"
)

// TestPinned runs pinned cases: each peer's loop on its own CPU.
func TestPinned(t *testing.T) {
	if _, err := pinCPUs(); err != nil {
		t.Skip(err)
	}
	for _, c := range []Case{
		{Scenario: "pingpong", Transport: "cacheline", Size: 8, Batch: 1, Ops: 200, Timeout: time.Minute, Pin: true},
		{Scenario: "stream", Transport: "go-chan", Size: 64, Batch: 1, Ops: 200, Timeout: time.Minute, Pin: true},
	} {
		r := RunCase(context.Background(), c)
		if r.Failed || r.Note != "pinned" {
			t.Fatalf("%s: %s", c.Label(), r.Note)
		}
	}
	// The binding is undone: this thread may use every CPU again.
	before, _ := kernel.ThreadCPUs()
	unpin, err := pin(true, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := unpin(); err != nil {
		t.Fatal(err)
	}
	if after, _ := kernel.ThreadCPUs(); !slices.Equal(after, before) {
		t.Fatalf("CPUs %v after unpin, %v before", after, before)
	}
}
