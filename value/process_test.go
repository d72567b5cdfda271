package value_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/shmkit/shmkit/internal/testutil"
	"github.com/shmkit/shmkit/internal/testutil/proctest"
	"github.com/shmkit/shmkit/internal/testutil/segtest"
	"github.com/shmkit/shmkit/process"
	"github.com/shmkit/shmkit/sync"
	"github.com/shmkit/shmkit/value"
)

type addArg struct {
	C      *value.Int[int64]
	N      int
	Locked bool // Update under the lock instead of Add
}

var (
	addTask = process.Register("value.test.add", func(ctx context.Context, a addArg) (int, error) {
		for range a.N {
			if !a.Locked {
				a.C.Add(1)
				continue
			}
			// Python's: with v.get_lock(): v.value += 1, done as a
			// compare-and-swap loop.
			if err := a.C.Update(ctx, func(x *int64) { *x++ }); err != nil {
				return 0, err
			}
		}
		return a.N, nil
	})

	writePatterns = process.Register("value.test.patterns", func(ctx context.Context, a struct {
		V    *value.Value[pattern]
		From uint64
		N    uint64
	}) (int, error) {
		for i := a.From; i < a.From+a.N; i++ {
			if err := a.V.Store(ctx, makePattern(i)); err != nil {
				return 0, err
			}
		}
		return int(a.N), nil
	})

	holdValueLock = process.Register("value.test.holdlock", func(ctx context.Context, a struct {
		V  *value.Value[int64]
		Ev *sync.Event
	}) (int, error) {
		if err := a.V.Mutex().Lock(ctx); err != nil {
			return 0, err
		}
		a.Ev.Set()
		time.Sleep(time.Hour)
		return 0, nil
	})
)

func startAll(t *testing.T, ctx context.Context, n int, arg addArg) {
	t.Helper()
	var ps []*process.Process
	for range n {
		p := proctest.Start(t, ctx, addTask, arg)
		ps = append(ps, p)
	}
	for _, p := range ps {
		if err := p.Join(ctx); err != nil {
			t.Fatal(err)
		}
	}
}

func TestIntAddProcesses(t *testing.T) {
	const P, N = 3, 200_000
	ctx := testutil.Context(t)
	c := testutil.Must[*value.Int[int64]](t)(value.NewInt[int64](segtest.New(t), "c", 0))
	startAll(t, ctx, P, addArg{C: c, N: N})
	if got := c.Load(); got != P*N {
		t.Fatalf("counter = %d, want %d", got, P*N)
	}
}

func TestIntUpdateProcesses(t *testing.T) {
	const P, N = 3, 100_000
	ctx := testutil.Context(t)
	c := testutil.Must[*value.Int[int64]](t)(value.NewInt[int64](segtest.New(t), "c", 0))
	startAll(t, ctx, P, addArg{C: c, N: N, Locked: true})
	if got := c.Load(); got != P*N {
		t.Fatalf("counter = %d, want %d", got, P*N)
	}
}

func TestValueNoTornReadsProcesses(t *testing.T) {
	ctx := testutil.Context(t)
	v := testutil.Must[*value.Value[pattern]](t)(value.New(segtest.New(t), "p", makePattern(0)))
	const N = 100_000
	p := proctest.Start(t, ctx, writePatterns, struct {
		V    *value.Value[pattern]
		From uint64
		N    uint64
	}{v, 1, N})
	reads, changes, last := 0, 0, uint64(0)
	for p.IsAlive() || reads == 0 {
		x := v.Load()
		if !x.ok() {
			t.Fatalf("torn read after %d reads: %+v", reads, x)
		}
		if x.N < last {
			t.Fatalf("went back from %d to %d", last, x.N)
		}
		if x.N != last {
			changes++
		}
		last = x.N
		reads++
	}
	if err := p.Join(ctx); err != nil {
		t.Fatal(err)
	}
	if x := v.Load(); x.N != N || !x.ok() {
		t.Fatalf("final %d", x.N)
	}
	t.Logf("%d reads saw %d different values", reads, changes)
}

// A Value's Update waits for the lock a live process holds and takes it
// over once that process is killed. (Int and Float take no lock: their
// Update is a compare-and-swap loop, see TestIntUpdateWithAddProcesses.)
func TestUpdateAfterLockHolderKilled(t *testing.T) {
	ctx := testutil.Context(t)
	seg := segtest.New(t)
	c := testutil.Must[*value.Value[int64]](t)(value.New[int64](seg, "c", 41))
	ev := testutil.Must[*sync.Event](t)(sync.NewEvent(seg, "ev"))
	p := proctest.StartHolding(t, ctx, holdValueLock, struct {
		V  *value.Value[int64]
		Ev *sync.Event
	}{c, ev}, ev.Wait)
	short, cancelShort := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancelShort()
	if err := c.Update(short, func(x *int64) { *x++ }); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Update while a live process holds the lock = %v", err)
	}
	p.Kill()
	if err := c.Update(ctx, func(x *int64) { *x++ }); err != nil {
		t.Fatalf("Update after the holder was killed = %v", err)
	}
	if c.Load() != 42 {
		t.Fatalf("value %d", c.Load())
	}
}

// Writers killed at random moments, mid-Store for some: readers never see
// a torn value, and later writers take the lock over.
func TestValueWritersKilled(t *testing.T) {
	ctx := testutil.Context(t)
	v := testutil.Must[*value.Value[pattern]](t)(value.New(segtest.New(t), "p", makePattern(0)))
	type arg = struct {
		V    *value.Value[pattern]
		From uint64
		N    uint64
	}
	var writers [2]*process.Process
	next := uint64(1)
	startWriter := func(i int) {
		p := proctest.Start(t, ctx, writePatterns, arg{v, next, 1 << 40})
		writers[i] = p
		next += 1 << 40
	}
	startWriter(0)
	startWriter(1)
	reads := 0
	for round := range testutil.KillLoops(10) {
		deadline := time.Now().Add(time.Duration(3+round%32) * time.Millisecond)
		for time.Now().Before(deadline) {
			if x := v.Load(); !x.ok() {
				t.Fatalf("torn read after %d reads: %+v", reads, x)
			}
			reads++
		}
		writers[round%2].Kill()
		writers[round%2].Join(ctx)
		startWriter(round % 2)
	}
	before := v.Seq()
	for v.Seq() == before { // the replacements still make progress
		if err := ctx.Err(); err != nil {
			t.Fatal("no write after the kills:", err)
		}
		time.Sleep(time.Millisecond)
	}
	if x := v.Load(); !x.ok() {
		t.Fatalf("torn at the end: %+v", x)
	}
	t.Logf("%d reads, %d writes", reads, v.Seq())
}
