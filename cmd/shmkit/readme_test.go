package main

import (
	"os"
	"strings"
	"testing"

	"github.com/shmkit/shmkit/array"
	"github.com/shmkit/shmkit/shm"
	shmsync "github.com/shmkit/shmkit/sync"
	"github.com/shmkit/shmkit/value"
)

// TestREADMEInspect: the README's `shmkit inspect sensor` shows what
// inspect prints for that segment today: its objects' rows and Python
// lines, offsets included (the header lines hold pids and times).
func TestREADMEInspect(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, block, ok := strings.Cut(string(b), "$ shmkit inspect sensor\n")
	if !ok {
		t.Fatal("the README has no `shmkit inspect sensor` block")
	}
	block, _, _ = strings.Cut(block, "```")

	name := segName(t, "sensor")
	s, err := shm.Create(name, 1<<20, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := array.NewFrom(s, "samples", []float64{1.5, 2.5, 4}); err != nil {
		t.Fatal(err)
	}
	if _, err := value.NewInt[int64](s, "count", 3); err != nil {
		t.Fatal(err)
	}
	if _, err := array.New[int32](s, "histogram", 64); err != nil {
		t.Fatal(err)
	}
	if _, err := shmsync.NewMutex(s, "lock"); err != nil {
		t.Fatal(err)
	}
	code, out, _ := runCLI("inspect", name)
	if code != 0 {
		t.Fatalf("inspect: %d\n%s", code, out)
	}
	out = strings.ReplaceAll(out, name, "sensor")
	for _, l := range strings.Split(block, "\n") {
		if strings.HasPrefix(l, "  ") && !strings.HasPrefix(l, "  id ") && !strings.HasPrefix(l, "  created ") &&
			!strings.HasPrefix(l, "  mapped by") && !strings.Contains(out, l) {
			t.Errorf("the README's line is not what inspect prints:\n%s\ninspect printed:\n%s", l, out)
		}
	}
}
