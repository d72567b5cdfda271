package ring_test

import (
	"context"
	"errors"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shmkit/shmkit/internal/testutil"
	"github.com/shmkit/shmkit/internal/testutil/proctest"
	"github.com/shmkit/shmkit/internal/testutil/segtest"
	"github.com/shmkit/shmkit/process"
	"github.com/shmkit/shmkit/ring"
	"github.com/shmkit/shmkit/shm"
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

var (
	// putPointersTask puts nil, a point and nil again.
	putPointersTask = process.Register("ring.putpointers", func(ctx context.Context, q *ring.Queue[*point]) (struct{}, error) {
		for _, v := range []*point{nil, {X: 1, Y: 2}, nil} {
			if err := q.Put(ctx, v); err != nil {
				return struct{}{}, err
			}
		}
		return struct{}{}, nil
	})
	// attachIntsTask attaches the queue h names as a queue of int and
	// says how that went.
	attachIntsTask = process.Register("ring.attachints", func(ctx context.Context, h shm.Handle) (string, error) {
		_, err := shm.AttachAs[ring.Queue[int]](h)
		switch {
		case err == nil:
			return "attached", nil
		case errors.Is(err, shm.ErrWrongKind):
			return "wrong kind: " + err.Error(), nil
		}
		return "", err
	})
)

// TestQueueNilPointers: a queue of pointers round-trips nil, from another
// process (it came back as a pointer to a zero value); so does a queue of
// interfaces.
func TestQueueNilPointers(t *testing.T) {
	ctx := testutil.Context(t)
	seg := segtest.NewSize(t, 1<<20)
	q, err := ring.NewQueue[*point](seg, "q", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := process.Run(ctx, putPointersTask, q); err != nil {
		t.Fatal(err)
	}
	for i, want := range []*point{nil, {X: 1, Y: 2}, nil} {
		v, err := q.Get(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if (v == nil) != (want == nil) || v != nil && *v != *want {
			t.Fatalf("value %d: %v, want %v", i, v, want)
		}
	}
	qa, err := ring.NewQueue[any](seg, "any", nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []any{nil, 7, nil} {
		if err := qa.Put(ctx, v); err != nil {
			t.Fatal(err)
		}
	}
	for i, want := range []any{nil, 7, nil} {
		if v, err := qa.Get(ctx); err != nil || v != want {
			t.Fatalf("value %d: %v, %v; want %v", i, v, err, want)
		}
	}
}

// TestQueueWrongType: a typed open of a queue made for another element
// type fails with shm.ErrWrongKind, by name and by handle in another
// process; the same type, or an untyped queue, opens.
func TestQueueWrongType(t *testing.T) {
	ctx := testutil.Context(t)
	seg := segtest.NewSize(t, 1<<20)
	qs, err := ring.NewQueue[string](seg, "strings", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ring.OpenQueue[int](seg, "strings"); !errors.Is(err, shm.ErrWrongKind) {
		t.Fatalf("OpenQueue[int] of a queue of strings: %v", err)
	}
	if _, err := ring.OpenQueue[string](seg, "strings"); err != nil {
		t.Fatalf("OpenQueue[string]: %v", err)
	}
	if _, err := shm.AttachAs[ring.Queue[[]string]](qs.Handle()); !errors.Is(err, shm.ErrWrongKind) {
		t.Fatalf("AttachAs[Queue[[]string]]: %v", err)
	}
	got, err := process.Run(ctx, attachIntsTask, qs.Handle())
	if err != nil || !strings.HasPrefix(got, "wrong kind") || !strings.Contains(got, `queue "strings"`) {
		t.Fatalf("a child attaching a queue of strings as ints: %q %v", got, err)
	}
	qi, _ := ring.NewQueue[int](seg, "ints", nil)
	if got, err := process.Run(ctx, attachIntsTask, qi.Handle()); err != nil || got != "attached" {
		t.Fatalf("a child attaching a queue of ints: %q %v", got, err)
	}
	// Structs of another shape, pointers to them, joinable queues.
	type other struct{ X, Y int64 }
	qp, _ := ring.NewQueue[*point](seg, "points", nil)
	if _, err := ring.OpenQueue[*other](seg, "points"); !errors.Is(err, shm.ErrWrongKind) {
		t.Fatalf("OpenQueue[*other] of a queue of *point: %v", err)
	}
	if _, err := shm.AttachAs[ring.Queue[*point]](qp.Handle()); err != nil {
		t.Fatal(err)
	}
	ring.NewJoinableQueue[string](seg, "joinable", nil)
	if _, err := ring.OpenJoinableQueue[int](seg, "joinable"); !errors.Is(err, shm.ErrWrongKind) {
		t.Fatalf("OpenJoinableQueue[int] of one of strings: %v", err)
	}
	// An untyped queue opens as any type.
	ring.NewMPMC(seg, "bytes", nil)
	if _, err := ring.OpenQueue[int](seg, "bytes"); err != nil {
		t.Fatalf("OpenQueue[int] of an untyped queue: %v", err)
	}
}

// TestQueueErrorsNameTheQueue: errors say which queue and what happened to
// it, and still answer errors.Is.
func TestQueueErrorsNameTheQueue(t *testing.T) {
	seg := segtest.NewSize(t, 1<<20)
	q, err := ring.NewQueue[int](seg, "jobs", &ring.Options{Capacity: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := q.TryGet(); !errors.Is(err, ring.ErrEmpty) || err.Error() != `queue "jobs" empty` {
		t.Fatalf("empty: %v", err)
	}
	q.TryPut(1)
	if err := q.TryPut(2); !errors.Is(err, ring.ErrFull) || err.Error() != `queue "jobs" full` {
		t.Fatalf("full: %v", err)
	}
	q.Close()
	if err := q.TryPut(3); !errors.Is(err, os.ErrClosed) || err.Error() != `queue "jobs" closed` {
		t.Fatalf("closed: %v", err)
	}
	if _, err := ring.NewQueue[int](seg, "jobs", nil); !errors.Is(err, os.ErrExist) || err.Error() != `queue "jobs" already exists` {
		t.Fatalf("a second queue called jobs: %v", err)
	}
	r, _ := ring.NewRing(seg, "r", &ring.Options{Capacity: 64})
	if _, err := r.TryRead(nil); !errors.Is(err, ring.ErrEmpty) || err.Error() != `ring "r" empty` {
		t.Fatalf("empty ring: %v", err)
	}
	r.Close()
	if err := r.TryWrite(nil); !errors.Is(err, os.ErrClosed) || err.Error() != `ring "r" closed` {
		t.Fatalf("closed ring: %v", err)
	}
}
