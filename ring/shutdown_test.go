package ring_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/shmkit/shmkit/internal/testutil"
	"github.com/shmkit/shmkit/internal/testutil/proctest"
	"github.com/shmkit/shmkit/internal/testutil/segtest"
	"github.com/shmkit/shmkit/process"
	"github.com/shmkit/shmkit/ring"
)

// Ports of CPython's _TestQueue shutdown tests (test_shutdown_empty,
// test_shutdown_nonempty, test_shutdown_immediate,
// test_shutdown_immediate_with_unfinished): each "ProcessFuture" is a
// child process here, each queue both a Queue and a JoinableQueue.

type queueOpArg struct {
	Q  *ring.Queue[string]
	J  *ring.JoinableQueue[string]
	Op string // "join", "put", "get"
}

// queueOpTask runs one call in a child and says how it ended: "ok",
// "ok: <value>", "shutdown" (ErrShutdown) or the error.
var queueOpTask = process.Register("ring.queueop", func(ctx context.Context, a queueOpArg) (string, error) {
	q := a.Q
	if a.J != nil {
		q = a.J.Queue
	}
	var err error
	v := ""
	switch a.Op {
	case "join":
		err = a.J.Join(ctx)
	case "put":
		err = q.Put(ctx, "data")
	case "get":
		v, err = q.Get(ctx)
	}
	switch {
	case errors.Is(err, ring.ErrShutdown):
		return "shutdown", nil
	case err != nil:
		return "", err
	case v != "":
		return "ok: " + v, nil
	}
	return "ok", nil
})

// shutQueue is one queue of the test, Queue or JoinableQueue.
type shutQueue struct {
	*ring.Queue[string]
	j *ring.JoinableQueue[string]
}

func (s shutQueue) arg(op string) queueOpArg {
	if s.j != nil {
		return queueOpArg{J: s.j, Op: op}
	}
	return queueOpArg{Q: s.Queue, Op: op}
}

func shutQueues(t *testing.T, capacity int) []shutQueue {
	seg := segtest.NewSize(t, 1<<20)
	q, err := ring.NewQueue[string](seg, "q", &ring.Options{Capacity: capacity})
	if err != nil {
		t.Fatal(err)
	}
	j, err := ring.NewJoinableQueue[string](seg, "j", &ring.Options{Capacity: capacity})
	if err != nil {
		t.Fatal(err)
	}
	return []shutQueue{{Queue: q}, {Queue: j.Queue, j: j}}
}

func run(t *testing.T, ctx context.Context, a queueOpArg) string {
	t.Helper()
	got, err := process.Run(ctx, queueOpTask, a)
	if err != nil {
		t.Fatalf("%s in a child: %v", a.Op, err)
	}
	return got
}

// alive reports whether p still runs a moment from now.
func alive(p *process.Process) bool {
	select {
	case <-p.Done():
		return false
	case <-time.After(100 * time.Millisecond):
		return true
	}
}

// assertShutdown: put and get, in a child and here without waiting, fail
// with ErrShutdown.
func assertShutdown(t *testing.T, ctx context.Context, q shutQueue) {
	t.Helper()
	for _, op := range []string{"put", "get"} {
		if got := run(t, ctx, q.arg(op)); got != "shutdown" {
			t.Fatalf("%s in a child after shutdown: %s", op, got)
		}
	}
	if err := q.TryPut("data"); !errors.Is(err, ring.ErrShutdown) {
		t.Fatalf("put_nowait after shutdown: %v", err)
	}
	if _, err := q.TryGet(); !errors.Is(err, ring.ErrShutdown) {
		t.Fatalf("get_nowait after shutdown: %v", err)
	}
}

func TestQueueShutdownEmpty(t *testing.T) {
	ctx := testutil.Context(t)
	for _, q := range shutQueues(t, 0) {
		var join *process.Process
		if q.j != nil {
			join = proctest.Start(t, ctx, queueOpTask, q.arg("join"))
		}
		q.Shutdown(false) // [joinable] unfinished tasks: 0 -> 0
		if q.Len() != 0 {
			t.Fatalf("qsize %d", q.Len())
		}
		if join != nil {
			if err := join.Join(ctx); err != nil {
				t.Fatal(err)
			}
		}
		assertShutdown(t, ctx, q)
	}
}

func TestQueueShutdownNonempty(t *testing.T) {
	ctx := testutil.Context(t)
	for _, q := range shutQueues(t, 1) {
		q.Put(ctx, "data")
		var join *process.Process
		if q.j != nil {
			join = proctest.Start(t, ctx, queueOpTask, q.arg("join"))
		}
		q.Shutdown(false) // [joinable] unfinished tasks: 1 -> 1
		if q.Len() != 1 {
			t.Fatalf("qsize %d", q.Len())
		}
		if got := run(t, ctx, q.arg("get")); got != "ok: data" {
			t.Fatalf("get after shutdown(immediate=False): %s", got)
		}
		if join != nil && !alive(join) {
			t.Fatal("join returned with a task unfinished")
		}
		assertShutdown(t, ctx, q)
		if q.j != nil {
			q.j.TaskDone()
			if err := join.Join(ctx); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func TestQueueShutdownImmediate(t *testing.T) {
	ctx := testutil.Context(t)
	for _, q := range shutQueues(t, 0) {
		q.Put(ctx, "data")
		var join *process.Process
		if q.j != nil {
			join = proctest.Start(t, ctx, queueOpTask, q.arg("join"))
		}
		q.Shutdown(true)
		if q.Len() != 0 {
			t.Fatalf("qsize %d", q.Len())
		}
		if join != nil {
			if err := join.Join(ctx); err != nil { // the dropped value counts done
				t.Fatal(err)
			}
		}
		assertShutdown(t, ctx, q)
		if q.j != nil {
			if err := q.j.TaskDone(); !errors.Is(err, ring.ErrTaskDone) {
				t.Fatalf("task_done after the drop: %v", err)
			}
		}
	}
}

func TestQueueShutdownImmediateWithUnfinished(t *testing.T) {
	ctx := testutil.Context(t)
	q := shutQueues(t, 0)[1]
	q.Put(ctx, "data")
	q.Put(ctx, "data")
	join := proctest.Start(t, ctx, queueOpTask, q.arg("join"))
	if got := run(t, ctx, q.arg("get")); got != "ok: data" {
		t.Fatal(got)
	}
	q.Shutdown(true)
	if q.Len() != 0 {
		t.Fatalf("qsize %d", q.Len())
	}
	if !alive(join) {
		t.Fatal("join returned while a taken value is unfinished")
	}
	assertShutdown(t, ctx, q)
	if err := q.j.TaskDone(); err != nil {
		t.Fatal(err)
	}
	if err := q.j.TaskDone(); !errors.Is(err, ring.ErrTaskDone) {
		t.Fatalf("a second task_done: %v", err)
	}
	if err := join.Join(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestQueueShutdownReleasesWaiters: a getter blocked on an empty queue and
// a putter blocked on a full one, each in a child, return ErrShutdown when
// the queue is shut down (immediately, for the getter of a non-empty
// queue), within a peer slice; a getter killed -9 while it waits leaves
// nothing that stops the others.
func TestQueueShutdownReleasesWaiters(t *testing.T) {
	ctx := testutil.Context(t)
	for _, immediate := range []bool{false, true} {
		seg := segtest.NewSize(t, 1<<20)
		empty, _ := ring.NewQueue[string](seg, "empty", nil)
		full, _ := ring.NewQueue[string](seg, "full", &ring.Options{Capacity: 1})
		full.Put(ctx, "x")
		doomed := proctest.Start(t, ctx, queueOpTask, queueOpArg{Q: empty, Op: "get"})
		getter := proctest.Start(t, ctx, queueOpTask, queueOpArg{Q: empty, Op: "get"})
		putter := proctest.Start(t, ctx, queueOpTask, queueOpArg{Q: full, Op: "put"})
		testutil.WaitFor(t, ctx, "the children to wait", func() bool {
			return empty.Stats().EmptyWaits >= 2 && full.Stats().FullWaits >= 1
		})
		doomed.Kill()
		doomed.Join(ctx)
		start := time.Now()
		empty.Shutdown(immediate)
		full.Shutdown(immediate)
		for _, p := range []*process.Process{getter, putter} {
			if err := p.Join(ctx); err != nil {
				t.Fatal(err)
			}
		}
		if el := time.Since(start); el > 2*time.Second {
			t.Fatalf("waiters released after %v", el)
		}
		if _, err := full.TryGet(); immediate != errors.Is(err, ring.ErrShutdown) {
			t.Fatalf("immediate %v: get from the shut down full queue: %v", immediate, err)
		}
	}
}

// TestQueueAll: range-over-func over a queue fed by a child, ending at
// Close (io.EOF) and at Shutdown, and yielding a context's end once.
func TestQueueAll(t *testing.T) {
	ctx := testutil.Context(t)
	seg := segtest.NewSize(t, 1<<20)
	q, _ := ring.NewQueue[string](seg, "q", nil)
	if _, err := process.Run(ctx, writer, q); err != nil { // A, B, C
		t.Fatal(err)
	}
	q.Close()
	var got []string
	for v, err := range q.All(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		got = append(got, v)
	}
	if len(got) != 3 || got[0] != "A" || got[2] != "C" {
		t.Fatalf("got %v", got)
	}
	q2, _ := ring.NewQueue[string](seg, "q2", nil)
	q2.Put(ctx, "x")
	q2.Shutdown(false)
	n := 0
	for _, err := range q2.All(ctx) {
		if err != nil {
			t.Fatal(err)
		}
		n++
	}
	if n != 1 {
		t.Fatalf("%d values before the shutdown's end", n)
	}
	q3, _ := ring.NewQueue[string](seg, "q3", nil)
	short, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancel()
	errs := 0
	for _, err := range q3.All(short) {
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("ranging over an empty queue: %v", err)
		}
		errs++
	}
	if errs != 1 {
		t.Fatalf("%d errors yielded", errs)
	}
	// Breaking out early stops the gets.
	q4, _ := ring.NewQueue[int](seg, "q4", nil)
	for i := range 5 {
		q4.Put(ctx, i)
	}
	for v := range q4.All(ctx) {
		if v == 1 {
			break
		}
	}
	if q4.Len() != 3 {
		t.Fatalf("len %d after breaking at the second value", q4.Len())
	}
}
