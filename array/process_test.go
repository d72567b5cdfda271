package array_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/shmkit/shmkit/array"
	"github.com/shmkit/shmkit/internal/testutil"
	"github.com/shmkit/shmkit/internal/testutil/proctest"
	"github.com/shmkit/shmkit/internal/testutil/segtest"
	"github.com/shmkit/shmkit/process"
	"github.com/shmkit/shmkit/sync"
)

var (
	histTask = process.Register("array.test.hist", func(ctx context.Context, a struct {
		A *array.Int[int64]
		N int
	}) (int, error) {
		for i := range a.N {
			a.A.Add(i%a.A.Len(), 1)
		}
		return a.N, nil
	})

	holdArrayLock = process.Register("array.test.holdlock", func(ctx context.Context, a struct {
		A  *array.Array[float64]
		Ev *sync.Event
	}) (int, error) {
		if err := a.A.Lock(ctx); err != nil {
			return 0, err
		}
		a.A.Store(0, 1) // half of an update the parent must treat as suspect
		a.Ev.Set()
		time.Sleep(time.Hour)
		return 0, nil
	})
)

func TestIntArrayProcesses(t *testing.T) {
	const P, N, L = 3, 90_000, 9
	ctx := testutil.Context(t)
	a := testutil.Must[*array.Int[int64]](t)(array.NewInt[int64](segtest.New(t), "h", L))
	var ps []*process.Process
	for range P {
		p := proctest.Start(t, ctx, histTask, struct {
			A *array.Int[int64]
			N int
		}{a, N})
		ps = append(ps, p)
	}
	for _, p := range ps {
		if err := p.Join(ctx); err != nil {
			t.Fatal(err)
		}
	}
	for i := range L {
		if a.Load(i) != P*N/L {
			t.Fatalf("a[%d] = %d, want %d", i, a.Load(i), P*N/L)
		}
	}
}

func TestArrayLockHolderKilled(t *testing.T) {
	ctx := testutil.Context(t)
	seg := segtest.New(t)
	a := testutil.Must[*array.Array[float64]](t)(array.New[float64](seg, "a", 4))
	ev := testutil.Must[*sync.Event](t)(sync.NewEvent(seg, "ev"))
	p := proctest.StartHolding(t, ctx, holdArrayLock, struct {
		A  *array.Array[float64]
		Ev *sync.Event
	}{a, ev}, ev.Wait)
	p.Kill()
	if err := a.Lock(ctx); !errors.Is(err, sync.ErrOwnerDead) {
		t.Fatalf("Lock after the holder was killed = %v, want ErrOwnerDead", err)
	}
	a.Store(0, 0) // repair
	if err := a.Mutex().MarkConsistent(); err != nil {
		t.Fatal(err)
	}
	if err := a.Unlock(); err != nil {
		t.Fatal(err)
	}
}
