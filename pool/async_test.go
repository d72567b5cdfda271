package pool_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shmkit/shmkit/internal/testutil"
	"github.com/shmkit/shmkit/pool"
	"github.com/shmkit/shmkit/process"
)

var workerName = process.Register("pooltest.workername", func(ctx context.Context, _ int) (string, error) {
	return process.Current().Name, nil
})

// CPython's test_map_async, test_map_async_callbacks and
// test_empty_iterable: one Future for a whole map, its callback with the
// results, its error callback with the error.
func TestPoolMapAsync(t *testing.T) {
	ctx := testutil.Context(t)
	p := newPool(t, pool.Options{Workers: 2})
	var mu sync.Mutex
	var calls []any
	record := func(v any) { mu.Lock(); calls = append(calls, v); mu.Unlock() }

	in := []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	f := pool.MapAsync(ctx, p, square, in, pool.Chunksize(3)).
		OnSuccess(func(r []int) { record(r) }).
		OnError(func(err error) { record(err) })
	got, err := f.Get(ctx)
	if err != nil || len(got) != 10 || got[9] != 100 {
		t.Fatalf("MapAsync = %v, %v", got, err)
	}
	if len(calls) != 1 || !slices.Equal(calls[0].([]int), got) {
		t.Fatalf("callbacks: %v", calls)
	}

	f2 := pool.MapAsync(ctx, p, failsAs, []string{"ok", "sentinel"}).
		OnSuccess(func(r []int) { record(r) }).
		OnError(func(err error) { record(err) })
	if _, err := f2.Get(ctx); !errors.Is(err, ErrSayWhen) {
		t.Fatalf("failing MapAsync: %v", err)
	}
	if len(calls) != 2 || !errors.Is(calls[1].(error), ErrSayWhen) {
		t.Fatalf("error callback: %v", calls)
	}
	// A callback registered after completion runs at once.
	ran := false
	f2.OnError(func(error) { ran = true }).OnSuccess(func([]int) { t.Error("OnSuccess of a failed map") })
	if !ran {
		t.Fatal("a late OnError did not run")
	}

	if got, err := pool.MapAsync(ctx, p, square, nil, pool.Chunksize(1)).Get(ctx); err != nil || len(got) != 0 {
		t.Fatalf("MapAsync of nothing: %v, %v", got, err)
	}
}

// The call's ctx ending completes an async call with ctx's error and
// cancels its running tasks.
func TestPoolAsyncCancel(t *testing.T) {
	ctx := testutil.Context(t)
	p := newPool(t, pool.Options{Workers: 2})
	dir := t.TempDir()
	actx, cancel := context.WithCancel(ctx)
	fm := pool.MapAsync(actx, p, waitTask, waitArgs(dir, "wait", 0))
	fa := pool.ApplyAsync(actx, p, waitTask, waitArg{dir, 1, "wait"})
	waitFile(t, ctx, dir, 0, ".ready")
	waitFile(t, ctx, dir, 1, ".ready")
	cancel()
	if _, err := fm.Get(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("MapAsync after cancel: %v", err)
	}
	if _, err := fa.Get(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("ApplyAsync after cancel: %v", err)
	}
	for x := range 2 {
		if _, e, _ := done(t, ctx, dir, x); e != "context canceled" {
			t.Fatalf("task %d saw %q", x, e)
		}
	}
	// CPython's test_async_timeout: Get's own ctx bounds the wait only.
	f := pool.ApplyAsync(ctx, p, waitTask, waitArg{dir, 2, "nap"})
	gctx, gcancel := context.WithTimeout(ctx, time.Nanosecond)
	defer gcancel()
	<-gctx.Done()
	if _, err := f.Get(gctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Get past its ctx: %v", err)
	}
	if r, err := f.Get(ctx); err != nil || r != 2 {
		t.Fatalf("the task ran on: %d, %v", r, err)
	}
}

// A task knows which worker runs it (process.Current().Name is
// "PoolWorker-N"), and so does its error.
func TestPoolWorkerNames(t *testing.T) {
	ctx := testutil.Context(t)
	p := newPool(t, pool.Options{Workers: 2})
	names, err := pool.Map(ctx, p, workerName, make([]int, 40), pool.Chunksize(1))
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if n != "PoolWorker-1" && n != "PoolWorker-2" {
			t.Fatalf("a task ran in %q", n)
		}
	}
	_, err = pool.Apply(ctx, p, failsAs, "sentinel")
	var te *pool.TaskError
	if !errors.As(err, &te) || !strings.HasPrefix(te.Worker, "PoolWorker-") {
		t.Fatalf("TaskError.Worker: %v", err)
	}
}

// CPython's test_terminate: a map_async of tasks that would run for ever,
// then terminate(): it returns at once, tasks cancelled.
func TestPoolTerminateMapAsync(t *testing.T) {
	ctx := testutil.Context(t)
	p := newPool(t, pool.Options{Workers: 2})
	dir := t.TempDir()
	in := make([]int, 1000)
	for i := range in {
		in[i] = i
	}
	f := pool.MapAsync(ctx, p, waitTask, waitArgs(dir, "wait", in...), pool.Chunksize(1))
	waitFile(t, ctx, dir, 0, ".ready")
	start := time.Now()
	p.Terminate()
	if d := time.Since(start); d > process.DefaultGrace {
		t.Fatalf("Terminate took %v", d)
	}
	if _, err := f.Get(ctx); !errors.Is(err, pool.ErrTerminated) && !errors.Is(err, pool.ErrClosed) {
		t.Fatalf("the map: %v", err)
	}
}
