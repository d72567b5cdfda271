package pool

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/shmkit/shmkit/internal/testutil"
	"github.com/shmkit/shmkit/internal/testutil/segtest"
	"github.com/shmkit/shmkit/ring"
)

type ctxSink struct{ ctx context.Context }

func (s ctxSink) Deliver(int, []byte, error) {}
func (s ctxSink) Context() context.Context   { return s.ctx }

// cancelled reads the ids of the cancel records on the control ring.
func cancelled(t *testing.T, r *ring.Ring) []uint64 {
	t.Helper()
	var ids []uint64
	for {
		rec, err := r.TryPeek()
		if errors.Is(err, ring.ErrEmpty) {
			r.Release()
			return ids
		}
		if err != nil {
			t.Fatal(err)
		}
		id, ok := parseCancel(rec)
		if !ok {
			t.Fatalf("not a cancel record: %q", rec)
		}
		ids = append(ids, id)
	}
}

// TestWatchOnePerContext: a slot watches a job's ctx once for all its
// chunks in flight; its end cancels exactly the chunks still in flight,
// a deadline cancels none (the chunks carry it), and the last chunk done
// stops the watch, so that a long-lived ctx does not collect watches.
func TestWatchOnePerContext(t *testing.T) {
	ctx := testutil.Context(t)
	seg := segtest.New(t)
	ctl, err := ring.NewRing(seg, "ctl", &ring.Options{Capacity: controlRingSize})
	if err != nil {
		t.Fatal(err)
	}
	s := &slot{control: ctl}
	a, cancelA := context.WithCancel(context.Background())
	defer cancelA()
	b, cancelB := context.WithCancel(context.Background())
	defer cancelB()
	dl, cancelDL := context.WithTimeout(context.Background(), time.Millisecond)
	defer cancelDL()
	mk := func(id uint64, c context.Context) *chunk { return &chunk{id: id, job: ctxSink{c}} }
	ca := []*chunk{mk(1, a), mk(2, a), mk(3, a)}
	cb, cd := mk(4, b), mk(5, dl)
	for _, c := range append(ca, cb, cd) {
		s.watchChunk(c)
	}
	s.watchChunk(ca[0]) // twice: still once
	if len(s.watches) != 3 {
		t.Fatalf("%d watches, want 3 (one per ctx)", len(s.watches))
	}
	s.unwatch(ca[1]) // done before the end: not cancelled
	cancelA()
	var got []uint64
	testutil.WaitFor(t, ctx, "cancel records", func() bool {
		got = append(got, cancelled(t, ctl)...)
		return len(got) >= 2
	})
	if !slices.Equal(got, []uint64{1, 3}) {
		t.Fatalf("cancelled %v, want [1 3]", got)
	}
	<-dl.Done()
	s.unwatch(cb) // B's last chunk: its watch stops
	cancelB()
	time.Sleep(10 * time.Millisecond) // an AfterFunc would have run by now
	if ids := cancelled(t, ctl); len(ids) != 0 {
		t.Fatalf("cancel records %v after a deadline and a stopped watch", ids)
	}
	for _, c := range append(ca, cd) {
		s.unwatch(c)
	}
	if len(s.watches) != 0 {
		t.Fatalf("%d watches left after every chunk was done", len(s.watches))
	}
	s.watchChunk(mk(6, context.Background())) // a ctx that never ends
	if len(s.watches) != 0 {
		t.Fatal("watched a ctx that never ends")
	}
}

// TestTakeWaitForgetsClock: a slot that waited for work does not time its
// next chunk from the clock reading of the chunk done before the wait
// (that chunk would seem to have run through the idle time, and the slot
// would stop queueing tiny chunks deep).
func TestTakeWaitForgetsClock(t *testing.T) {
	p := &Pool{pending: make(chan *chunk, 1), stop: make(chan struct{})}
	s := &slot{pool: p, lastDone: clock() - time.Second, fresh: true}
	p.pending <- &chunk{id: 1}
	if c, stop := s.take(testutil.Context(t), true); c == nil || stop {
		t.Fatalf("take = %v, %v", c, stop)
	}
	if s.fresh {
		t.Fatal("after a wait for work, the next send would use the clock reading from before it")
	}
}
