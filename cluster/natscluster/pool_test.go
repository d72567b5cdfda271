package natscluster_test

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/shmkit/shmkit/cluster/natscluster"
	"github.com/shmkit/shmkit/cluster/natsserver"
	"github.com/shmkit/shmkit/internal/testutil"
	"github.com/shmkit/shmkit/pool"
	"github.com/shmkit/shmkit/process"
)

// TestPoolCalls runs every pool call over NATS, with two worker processes.
func TestPoolCalls(t *testing.T) {
	ctx := testutil.Context(t)
	s := startServer(t, natsserver.Options{})
	_, js := connect(t, ctx, s.URL())
	opts := testOpts()
	startWorkers(t, ctx, s.URL(), opts, 2, t.TempDir())
	e := newExecutor(t, ctx, js, opts)

	in := make([]int, 100)
	for i := range in {
		in[i] = i
	}
	want := make([]int, len(in))
	for i, x := range in {
		want[i] = x * x
	}
	t.Run("Map", func(t *testing.T) {
		got, err := pool.Map(ctx, e, square, in)
		if err != nil || !slices.Equal(got, want) {
			t.Fatalf("Map = %v, %v", got, err)
		}
		got, err = pool.Map(ctx, e, square, in, pool.Chunksize(1))
		if err != nil || !slices.Equal(got, want) {
			t.Fatalf("Map chunksize 1 = %v, %v", got, err)
		}
	})
	t.Run("Imap", func(t *testing.T) {
		var got []int
		for r, err := range pool.Imap(ctx, e, square, slices.Values(in)) {
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, r)
		}
		if !slices.Equal(got, want) {
			t.Fatalf("Imap = %v", got)
		}
	})
	t.Run("ImapUnordered", func(t *testing.T) {
		var got []int
		for r, err := range pool.ImapUnordered(ctx, e, square, slices.Values(in)) {
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, r)
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			t.Fatalf("ImapUnordered = %v", got)
		}
	})
	t.Run("Apply", func(t *testing.T) {
		if r, err := pool.Apply(ctx, e, square, 7); err != nil || r != 49 {
			t.Fatalf("Apply = %v, %v", r, err)
		}
		f := pool.ApplyAsync(ctx, e, square, 8)
		if r, err := f.Get(ctx); err != nil || r != 64 {
			t.Fatalf("ApplyAsync = %v, %v", r, err)
		}
		fm := pool.MapAsync(ctx, e, square, in)
		if r, err := fm.Get(ctx); err != nil || !slices.Equal(r, want) {
			t.Fatalf("MapAsync = %v, %v", r, err)
		}
	})
	t.Run("errors", func(t *testing.T) {
		got, err := pool.Map(ctx, e, failIf, []int{0, 1, 2, 3})
		var te *pool.TaskError
		if !errors.As(err, &te) || te.Message != "input 1 fails" || te.Panic {
			t.Fatalf("Map of a failing task: %v (%#v)", err, te)
		}
		if got[0] != 0 || got[3] != 3 {
			t.Fatalf("results of the inputs that passed: %v", got)
		}
		_, err = pool.Apply(ctx, e, failIf, 2)
		if !errors.As(err, &te) || !te.Panic || !strings.Contains(te.Message, "input 2 panics") || te.Frame == "" || te.Worker == "" {
			t.Fatalf("Apply of a panicking task: %v (%#v)", err, te)
		}
		// A registered sentinel arrives as itself, as from a local worker.
		_, err = pool.Apply(ctx, e, failIf, 5)
		if !errors.Is(err, errQuota) || err.Error() != "task natscluster_test.fail: job 5: over quota" {
			t.Fatalf("Apply of a task failing with a registered error: %v", err)
		}
		if _, err := pool.Apply(ctx, e, new(process.Task[int, int]), 1); !errors.Is(err, process.ErrUnknownTask) {
			t.Fatalf("Apply of an unregistered task: %v", err)
		}
	})
	if err := e.Join(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Map(ctx, e, square, in); !errors.Is(err, pool.ErrClosed) {
		t.Fatalf("Map after Join: %v, want pool.ErrClosed", err)
	}
	_ = natscluster.ErrSharedMemory
}
