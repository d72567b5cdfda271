package natscluster_test

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/shmkit/shmkit/cluster/natscluster"
	"github.com/shmkit/shmkit/cluster/natsserver"
	"github.com/shmkit/shmkit/codec"
	"github.com/shmkit/shmkit/internal/testutil"
	"github.com/shmkit/shmkit/ring"
)

type job struct {
	ID   int
	Name string
}

// TestQueue: capacity, the Try calls, a Get woken by a Put from another
// connection, shutdown with draining, and a JSON codec.
func TestQueue(t *testing.T) {
	ctx := testutil.Context(t)
	s := startServer(t, natsserver.Options{})
	_, js := connect(t, ctx, s.URL())
	_, js2 := connect(t, ctx, s.URL())
	q, err := natscluster.NewQueue[job](ctx, js, "jobs", &natscluster.QueueOptions{Capacity: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer q.Close()
	q2, err := natscluster.NewQueue[job](ctx, js2, "jobs", nil) // the same queue, another process's view
	if err != nil {
		t.Fatal(err)
	}
	defer q2.Close()
	if q2.Cap() != 3 {
		t.Fatalf("Cap of an opened queue = %d, want the creator's 3", q2.Cap())
	}

	if _, err := q.TryGet(ctx); !errors.Is(err, ring.ErrEmpty) {
		t.Fatalf("TryGet of an empty queue: %v", err)
	}
	for i := range 3 {
		if err := q.TryPut(ctx, job{i, "j"}); err != nil {
			t.Fatal(err)
		}
	}
	if err := q.TryPut(ctx, job{3, "j"}); !errors.Is(err, ring.ErrFull) {
		t.Fatalf("TryPut past the capacity: %v", err)
	}
	if n, err := q.Len(ctx); err != nil || n != 3 {
		t.Fatalf("Len = %d, %v", n, err)
	}
	// A Put waiting for room gets it when a value is taken.
	put := make(chan error, 1)
	go func() { put <- q.Put(ctx, job{3, "j"}) }()
	time.Sleep(20 * time.Millisecond)
	for i := range 4 {
		v, err := q2.Get(ctx)
		if err != nil || v != (job{i, "j"}) {
			t.Fatalf("Get %d = %+v, %v", i, v, err)
		}
	}
	if err := <-put; err != nil {
		t.Fatal(err)
	}
	// A Get waiting for a value.
	got := make(chan job, 1)
	go func() { v, _ := q2.Get(ctx); got <- v }()
	time.Sleep(20 * time.Millisecond)
	q.Put(ctx, job{9, "late"})
	if v := <-got; v.ID != 9 {
		t.Fatalf("waiting Get = %+v", v)
	}
	// A Get that times out.
	tctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	if _, err := q.Get(tctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Get of an empty queue past ctx: %v", err)
	}
	cancel()

	// Shutdown: a waiting Get is released, puts fail, what is left drains.
	q.Put(ctx, job{10, "left"})
	if err := q.Shutdown(ctx, false); err != nil {
		t.Fatal(err)
	}
	if err := q2.Put(ctx, job{11, "after"}); !errors.Is(err, ring.ErrShutdown) || !errors.Is(err, os.ErrClosed) {
		t.Fatalf("Put after Shutdown: %v", err)
	}
	if v, err := q2.Get(ctx); err != nil || v.ID != 10 {
		t.Fatalf("Get after Shutdown = %+v, %v: want what was left", v, err)
	}
	start := time.Now()
	if _, err := q2.Get(ctx); !errors.Is(err, ring.ErrShutdown) || time.Since(start) > 2*time.Second {
		t.Fatalf("Get of a drained shut-down queue: %v after %v", err, time.Since(start))
	}
	if _, err := q2.TryGet(ctx); !errors.Is(err, ring.ErrShutdown) {
		t.Fatalf("TryGet of a drained shut-down queue: %v", err)
	}
	n := 0
	for _, err := range q.All(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 0 {
		t.Fatalf("All of a drained queue yielded %d", n)
	}

	t.Run("waiting Get released", func(t *testing.T) {
		q3, err := natscluster.NewQueue[int](ctx, js, "wake", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer q3.Close()
		res := make(chan error, 1)
		go func() { _, err := q3.Get(ctx); res <- err }()
		time.Sleep(50 * time.Millisecond)
		start := time.Now()
		q4, _ := natscluster.NewQueue[int](ctx, js2, "wake", nil)
		defer q4.Close()
		if err := q4.Shutdown(ctx, true); err != nil {
			t.Fatal(err)
		}
		if err := <-res; !errors.Is(err, ring.ErrShutdown) || time.Since(start) > 500*time.Millisecond {
			t.Fatalf("a Get waiting at Shutdown: %v after %v", err, time.Since(start))
		}
	})
	t.Run("codec", func(t *testing.T) {
		qj, err := natscluster.NewQueue[job](ctx, js, "json", nil)
		if err != nil {
			t.Fatal(err)
		}
		qj.WithCodec(codec.JSON[job]{})
		defer qj.Close()
		qj.Put(ctx, job{1, "x"})
		raw, err := natscluster.NewQueue[[]byte](ctx, js, "json", nil)
		if err != nil {
			t.Fatal(err)
		}
		defer raw.Close()
		if b, err := raw.Get(ctx); err != nil || string(b) != `{"ID":1,"Name":"x"}` {
			t.Fatalf("the JSON encoding: %q, %v", b, err)
		}
	})
	t.Run("bad input", func(t *testing.T) {
		qb, err := natscluster.NewQueue[[]byte](ctx, js, "big", nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := qb.Put(ctx, make([]byte, 2<<20)); !errors.Is(err, ring.ErrTooLarge) {
			t.Fatalf("Put of a value over max_payload: %v", err)
		}
		qb.Close()
		if err := qb.Put(ctx, nil); !errors.Is(err, os.ErrClosed) {
			t.Fatalf("Put after Close: %v", err)
		}
		if _, err := natscluster.NewQueue[int](ctx, js, "a b", nil); !errors.Is(err, os.ErrInvalid) {
			t.Fatalf("NewQueue named with a space: %v", err)
		}
	})
}
