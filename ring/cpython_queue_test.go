package ring_test

import (
	"context"
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/shmkit/shmkit/internal/testutil"
	"github.com/shmkit/shmkit/internal/testutil/proctest"
	"github.com/shmkit/shmkit/internal/testutil/segtest"
	"github.com/shmkit/shmkit/process"
	"github.com/shmkit/shmkit/ring"
	"github.com/shmkit/shmkit/sync"
)

// Ports of CPython's Lib/test/_test_multiprocessing.py, _TestQueue, across
// real processes.

type maxsizeArg struct {
	Q             *ring.Queue[int]
	Start, Done   *sync.Event
	Gets          int
	ExpectedFirst int
}

// getsTask waits for Start, takes Gets values (checking they come in
// order from ExpectedFirst) and sets Done: CPython's _test_put child.
var getsTask = process.Register("ring.cpython.gets", func(ctx context.Context, a maxsizeArg) (struct{}, error) {
	if err := a.Start.Wait(ctx); err != nil {
		return struct{}{}, err
	}
	for i := range a.Gets {
		v, err := a.Q.Get(ctx)
		if err != nil {
			return struct{}{}, err
		}
		if v != a.ExpectedFirst+i {
			return struct{}{}, errors.New("values out of order")
		}
	}
	a.Done.Set()
	return struct{}{}, nil
})

// TestQueueMaxsize is CPython's test_put: Queue(maxsize=6) is full after
// six puts, a seventh fails at once (TryPut: queue.Full) or at its deadline
// (Put), and a consumer process that takes the six empties it. Capacities
// that are not a power of two hold exactly what was asked, whatever the
// slot count behind them.
func TestQueueMaxsize(t *testing.T) {
	ctx := testutil.Context(t)
	seg := segtest.NewSize(t, 1<<20)
	const maxsize = 6
	q, err := ring.NewQueue[int](seg, "q", &ring.Options{Capacity: maxsize})
	if err != nil {
		t.Fatal(err)
	}
	start, _ := sync.NewEvent(seg, "start")
	done, _ := sync.NewEvent(seg, "done")
	p := proctest.Start(t, ctx, getsTask, maxsizeArg{Q: q, Start: start, Done: done, Gets: maxsize, ExpectedFirst: 1})
	if !q.Empty() || q.Full() || q.Cap() != maxsize {
		t.Fatalf("new queue: empty %v full %v cap %d", q.Empty(), q.Full(), q.Cap())
	}
	for i := 1; i <= maxsize; i++ {
		put := q.Put
		if i > 3 {
			put = func(_ context.Context, v int) error { return q.TryPut(v) }
		}
		if err := put(ctx, i); err != nil {
			t.Fatalf("put %d: %v", i, err)
		}
	}
	if q.Empty() || !q.Full() || q.Len() != maxsize {
		t.Fatalf("after %d puts: empty %v full %v len %d", maxsize, q.Empty(), q.Full(), q.Len())
	}
	t0 := time.Now()
	if err := q.TryPut(7); !errors.Is(err, ring.ErrFull) {
		t.Fatalf("put_nowait on a full queue: %v", err)
	}
	if el := time.Since(t0); el > 100*time.Millisecond {
		t.Fatalf("put_nowait took %v", el)
	}
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	t0 = time.Now()
	err = q.Put(short, 7)
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) || time.Since(t0) < 90*time.Millisecond {
		t.Fatalf("timed put on a full queue: %v after %v", err, time.Since(t0))
	}
	start.Set()
	if err := done.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	if !q.Empty() || q.Full() {
		t.Fatalf("after the child took %d: empty %v full %v", maxsize, q.Empty(), q.Full())
	}
	if err := p.Join(ctx); err != nil {
		t.Fatal(err)
	}

	// Every capacity holds exactly itself, however slots round, and keeps
	// doing so lap after lap.
	for _, c := range []int{1, 3, 5, 6, 7, 9, 100} {
		q, err := ring.NewMPMC(seg, "cap"+strconv.Itoa(c), &ring.Options{Capacity: c, SlotSize: 32})
		if err != nil {
			t.Fatal(err)
		}
		for lap := range 3 {
			n := 0
			for q.TryPut([]byte{byte(n)}) == nil {
				n++
			}
			if n != c || !q.Full() || q.Cap() != c {
				t.Fatalf("capacity %d, lap %d: %d puts fit, full %v, cap %d", c, lap, n, q.Full(), q.Cap())
			}
			buf := make([]byte, 8)
			for i := range n {
				if k, err := q.TryGet(buf); err != nil || k != 1 || buf[0] != byte(i) {
					t.Fatalf("capacity %d: get %d: %v", c, i, err)
				}
			}
		}
		// A message of two slots counts two.
		if c >= 2 {
			if err := q.TryPut(make([]byte, 20)); err != nil {
				t.Fatal(err)
			}
			if q.Len() != 1 || (c == 2) != q.Full() {
				t.Fatalf("capacity %d: a two-slot message: len %d full %v", c, q.Len(), q.Full())
			}
			q.TryGet(make([]byte, 32))
		}
		if err := q.TryPut(make([]byte, 16*c+1)); !errors.Is(err, ring.ErrTooLarge) {
			t.Fatalf("capacity %d: a message longer than every slot: %v", c, err)
		}
	}
	// A Put blocked on a full queue of 3 (4 slots behind it) goes on when
	// a value is taken.
	q3, _ := ring.NewQueue[int](seg, "q3", &ring.Options{Capacity: 3})
	for i := range 3 {
		q3.Put(ctx, i)
	}
	errc := make(chan error, 1)
	go func() { errc <- q3.Put(ctx, 3) }()
	select {
	case err := <-errc:
		t.Fatalf("a put into a full queue of 3 returned: %v", err)
	case <-time.After(30 * time.Millisecond):
	}
	if v, err := q3.Get(ctx); err != nil || v != 0 {
		t.Fatal(v, err)
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if q3.Len() != 3 || !q3.Full() {
		t.Fatalf("len %d", q3.Len())
	}
}
