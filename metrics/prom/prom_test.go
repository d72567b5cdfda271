package prom_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/shmkit/shmkit/internal/testutil/leak"
	"github.com/shmkit/shmkit/internal/testutil/segtest"
	"github.com/shmkit/shmkit/manager"
	"github.com/shmkit/shmkit/metrics"
	"github.com/shmkit/shmkit/metrics/prom"
	"github.com/shmkit/shmkit/ring"
)

func TestMain(m *testing.M) { os.Exit(leak.Main(m)) }

// Sources of several kinds and two of one kind in one collector, checked
// by the registry's own lint (NewPedanticRegistry) and in the text format.
func TestCollector(t *testing.T) {
	ctx := context.Background()
	seg := segtest.NewSize(t, 4<<20)
	a, err := ring.NewMPMC(seg, "a", nil)
	if err != nil {
		t.Fatal(err)
	}
	b, err := ring.NewJoinableQueue[int](seg, "b", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := b.Put(ctx, 1); err != nil {
		t.Fatal(err)
	}
	d, err := manager.NewDict(seg, "d", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Set(ctx, "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	c, err := prom.New(metrics.Queue("a", a), metrics.Queue("b", b), metrics.Dict("d", d))
	if err != nil {
		t.Fatal(err)
	}
	reg := prometheus.NewPedanticRegistry()
	if err := reg.Register(c); err != nil {
		t.Fatal(err)
	}
	want := `
# HELP shmkit_dict_entries Keys in the dict.
# TYPE shmkit_dict_entries gauge
shmkit_dict_entries{name="d"} 1
# HELP shmkit_queue_messages_in_total Messages committed, by every process.
# TYPE shmkit_queue_messages_in_total counter
shmkit_queue_messages_in_total{name="a"} 0
shmkit_queue_messages_in_total{name="b"} 1
# HELP shmkit_queue_unfinished Tasks put and not yet marked done (JoinableQueue).
# TYPE shmkit_queue_unfinished gauge
shmkit_queue_unfinished{name="b"} 1
`
	if err := testutil.GatherAndCompare(reg, strings.NewReader(want),
		"shmkit_dict_entries", "shmkit_queue_messages_in_total", "shmkit_queue_unfinished"); err != nil {
		t.Error(err)
	}
	if n, err := testutil.GatherAndCount(reg); err != nil || n != 2*12+1+5 {
		t.Errorf("%d series (%v), want %d", n, err, 2*12+1+5)
	}
	if !reg.Unregister(c) {
		t.Error("Unregister")
	}
}

func TestNewRefuses(t *testing.T) {
	seg := segtest.New(t)
	q, err := ring.NewMPMC(seg, "q", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := prom.New(metrics.Queue("q", q), metrics.Queue("q", q)); !errors.Is(err, os.ErrExist) {
		t.Errorf("the same queue twice: %v, want os.ErrExist", err)
	}
	if _, err := prom.New(metrics.Queue("", q)); !errors.Is(err, os.ErrInvalid) {
		t.Errorf("a queue without a name: %v, want os.ErrInvalid", err)
	}
	if _, err := prom.New(metrics.Queue("q", q), metrics.Ring("q", q)); err != nil {
		t.Errorf("a queue and a ring of one name: %v", err)
	}
}
