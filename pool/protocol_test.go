package pool

import (
	"errors"
	"slices"
	"testing"
	"time"
	"unsafe"

	"github.com/shmkit/shmkit/shm"
)

// TestChunkRecord: a chunk record parses back to what was appended; the
// task's name is the previous chunk's string when it is the same (no
// allocation per chunk) and a new one otherwise; every truncation of the
// record is an ErrCorrupt error.
func TestChunkRecord(t *testing.T) {
	h := chunkHead{id: 7, task: "pkg.task", deadline: 12345, timeout: time.Second}
	args := [][]byte{[]byte("a"), nil, []byte("ccc")}
	rec := appendChunk(nil, h, args)
	prev := "pkg.task"
	got, gotArgs, err := parseChunk(rec, prev)
	if err != nil || got != h || len(gotArgs) != 3 || !slices.EqualFunc(gotArgs, args, func(a, b []byte) bool { return string(a) == string(b) }) {
		t.Fatalf("parsed %+v %q %v, want %+v %q", got, gotArgs, err, h, args)
	}
	if unsafe.StringData(got.task) != unsafe.StringData(prev) {
		t.Error("the same task name was allocated again")
	}
	if got, _, _ := parseChunk(rec, "other"); got.task != h.task {
		t.Errorf("task %q, want %q", got.task, h.task)
	}
	for n := range len(rec) - 1 {
		if _, _, err := parseChunk(rec[:n], prev); !errors.Is(err, shm.ErrCorrupt) {
			t.Fatalf("record cut to %d bytes: %v, want ErrCorrupt", n, err)
		}
	}
}
