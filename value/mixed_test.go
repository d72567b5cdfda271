package value_test

import (
	"context"
	"errors"
	"testing"

	"github.com/shmkit/shmkit/internal/testutil"
	"github.com/shmkit/shmkit/internal/testutil/proctest"
	"github.com/shmkit/shmkit/internal/testutil/segtest"
	"github.com/shmkit/shmkit/process"
	"github.com/shmkit/shmkit/sync"
	"github.com/shmkit/shmkit/value"
)

// Update against concurrent Add from other processes (issue 10): Update
// used to Load and Store under the value's lock, which Add does not take,
// so an Add landing between the two was lost. Both are now atomic on the
// cell, and every increment counts.

type mixedArg struct {
	I     *value.Int[int64]
	F     *value.Float[float64]
	Ready *value.Int[int64] // each adder adds 1 when started, 1 when done
	Go    *sync.Event       // set once both adders are ready
	N     int
}

var mixedAdder = process.Register("value.test.mixedadd", func(ctx context.Context, a mixedArg) (int, error) {
	a.Ready.Add(1)
	if err := a.Go.Wait(ctx); err != nil {
		return 0, err
	}
	for range a.N {
		if a.I != nil {
			a.I.Add(1)
		} else {
			a.F.Add(1)
		}
	}
	a.Ready.Add(1)
	return a.N, nil
})

// runMixed starts two children doing arg.N Adds each and, once both run,
// calls update here until both are done and it was called at least arg.N
// times, so that the Updates overlap every Add. It returns how many
// Updates it made.
func runMixed(t *testing.T, ctx context.Context, arg mixedArg, update func() error) int {
	t.Helper()
	seg := segtest.New(t)
	arg.Ready = testutil.Must[*value.Int[int64]](t)(value.NewInt[int64](seg, "ready", 0))
	arg.Go = testutil.Must[*sync.Event](t)(sync.NewEvent(seg, "go"))
	var ps []*process.Process
	for range 2 {
		p := proctest.Start(t, ctx, mixedAdder, arg)
		ps = append(ps, p)
	}
	testutil.WaitFor(t, ctx, "the adders to start", func() bool { return arg.Ready.Load() == 2 })
	arg.Go.Set()
	n := 0
	for ; n < arg.N || arg.Ready.Load() < 4; n++ {
		if err := update(); err != nil {
			t.Fatal(err)
		}
		if n%1024 == 0 && ctx.Err() != nil {
			t.Fatal(ctx.Err())
		}
	}
	for _, p := range ps {
		if err := p.Join(ctx); err != nil {
			t.Fatal(err)
		}
	}
	return n
}

func TestIntUpdateWithAddProcesses(t *testing.T) {
	const N = 1_000_000
	ctx := testutil.Context(t)
	c := testutil.Must[*value.Int[int64]](t)(value.NewInt[int64](segtest.New(t), "c", 0))
	n := runMixed(t, ctx, mixedArg{I: c, N: N}, func() error {
		return c.Update(ctx, func(x *int64) { *x++ })
	})
	if got, want := c.Load(), int64(2*N+n); got != want {
		t.Fatalf("counter = %d, want %d (%d increments lost)", got, want, want-got)
	}
}

func TestFloatUpdateWithAddProcesses(t *testing.T) {
	const N = 1_000_000 // the sums stay far below 2^53: all exact
	ctx := testutil.Context(t)
	f := testutil.Must[*value.Float[float64]](t)(value.NewFloat[float64](segtest.New(t), "f", 0))
	n := runMixed(t, ctx, mixedArg{F: f, N: N}, func() error {
		return f.Update(ctx, func(x *float64) { *x++ })
	})
	if got, want := f.Load(), float64(2*N+n); got != want {
		t.Fatalf("counter = %v, want %v (%v increments lost)", got, want, want-got)
	}
}

// Update takes no lock (a holder of Mutex does not delay it), retries with
// the new value when the word changed under fn, and gives up with ctx's
// error only when it keeps losing after ctx ended.
func TestIntFloatUpdateCAS(t *testing.T) {
	ctx := testutil.Context(t)
	seg := segtest.New(t)
	c := testutil.Must[*value.Int[int32]](t)(value.NewInt[int32](seg, "c", 1))
	f := testutil.Must[*value.Float[float32]](t)(value.NewFloat[float32](seg, "f", 1))
	for _, mu := range []*sync.Mutex{c.Mutex(), f.Mutex()} {
		if err := mu.Lock(ctx); err != nil {
			t.Fatal(err)
		}
		defer mu.Unlock()
	}

	calls := 0
	err := c.Update(ctx, func(x *int32) {
		if calls++; calls == 1 {
			c.Add(100) // another writer, between the load and the swap
		}
		*x *= 2
	})
	if err != nil || calls != 2 || c.Load() != 202 {
		t.Fatalf("Int.Update: err %v, %d calls, value %d; want nil, 2, 202", err, calls, c.Load())
	}
	calls = 0
	err = f.Update(ctx, func(x *float32) {
		if calls++; calls == 1 {
			f.Add(100)
		}
		*x *= 2
	})
	if err != nil || calls != 2 || f.Load() != 202 {
		t.Fatalf("Float.Update: err %v, %d calls, value %v; want nil, 2, 202", err, calls, f.Load())
	}

	done, cancelDone := context.WithCancel(ctx)
	cancelDone()
	calls = 0
	err = c.Update(done, func(x *int32) { calls++; c.Add(1) })
	if !errors.Is(err, context.Canceled) || calls != 1 {
		t.Fatalf("Int.Update always losing, ctx ended: err %v after %d calls", err, calls)
	}
	calls = 0
	err = f.Update(done, func(x *float32) { calls++; f.Add(1) })
	if !errors.Is(err, context.Canceled) || calls != 1 {
		t.Fatalf("Float.Update always losing, ctx ended: err %v after %d calls", err, calls)
	}
	if err := c.Update(done, func(x *int32) { *x = 7 }); err != nil || c.Load() != 7 {
		t.Fatalf("uncontended Int.Update with an ended ctx: %v, %d", err, c.Load())
	}
}
