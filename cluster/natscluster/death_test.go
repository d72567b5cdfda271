package natscluster_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shmkit/shmkit/cluster/natscluster"
	"github.com/shmkit/shmkit/cluster/natsserver"
	"github.com/shmkit/shmkit/internal/testutil"
	"github.com/shmkit/shmkit/pool"
	"github.com/shmkit/shmkit/process"
)

// countingSink counts the answers of each input of one job.
type countingSink struct {
	ctx  context.Context
	task *process.Task[int, int]
	mu   sync.Mutex
	n    []int
	res  []int
	errs []error
	left int
	done chan struct{}
}

func newCountingSink(ctx context.Context, n int) *countingSink {
	return &countingSink{ctx: ctx, task: slow, n: make([]int, n), res: make([]int, n), errs: make([]error, n), left: n, done: make(chan struct{})}
}

func (s *countingSink) Context() context.Context { return s.ctx }

func (s *countingSink) Deliver(i int, res []byte, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.n[i]++
	if err == nil {
		s.res[i], err = s.task.DecodeResult(res)
	}
	s.errs[i] = err
	if s.n[i] == 1 {
		s.left--
		if s.left == 0 {
			close(s.done)
		}
	}
}

// submitAll submits inputs 0..n-1 of slow in chunks of size.
func submitAll(t *testing.T, ctx context.Context, e pool.Executor, sink *countingSink, size int) {
	t.Helper()
	n := len(sink.n)
	for base := 0; base < n; base += size {
		var args [][]byte
		for i := base; i < min(base+size, n); i++ {
			b, err := slow.EncodeArg(i)
			if err != nil {
				t.Fatal(err)
			}
			args = append(args, b)
		}
		if err := e.Submit(ctx, pool.Chunk{Task: slow.Name(), Args: args, Base: base, Results: sink}); err != nil {
			t.Fatal(err)
		}
	}
}

// check waits for every answer, then requires exactly one per input, each
// its input.
func (s *countingSink) check(t *testing.T, ctx context.Context) {
	t.Helper()
	select {
	case <-s.done:
	case <-ctx.Done():
		t.Fatalf("not every input answered: %v", ctx.Err())
	}
	time.Sleep(50 * time.Millisecond) // a late duplicate would show now
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := range s.n {
		if s.n[i] != 1 || s.errs[i] != nil || s.res[i] != i {
			t.Fatalf("input %d: %d answers, last %d, %v", i, s.n[i], s.res[i], s.errs[i])
		}
	}
}

// runs reads the start records of slow in dir: input -> pids that ran it,
// with the time of each start.
func runs(t *testing.T, dir string) map[int]map[int]time.Time {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	out := map[int]map[int]time.Time{}
	for _, e := range ents {
		in, pid, ok := strings.Cut(e.Name(), "-")
		x, err1 := strconv.Atoi(in)
		p, err2 := strconv.Atoi(pid)
		if !ok || err1 != nil || err2 != nil {
			continue
		}
		info, err := e.Info()
		if err != nil {
			t.Fatal(err)
		}
		if out[x] == nil {
			out[x] = map[int]time.Time{}
		}
		out[x][p] = info.ModTime()
	}
	return out
}

// TestWorkerKilledMidChunk: kill -9 a worker while it runs a chunk; the
// chunk is handed to the other worker after AckWait, and every input
// yields exactly one result although some ran twice.
func TestWorkerKilledMidChunk(t *testing.T) {
	ctx := testutil.Context(t)
	s := startServer(t, natsserver.Options{})
	_, js := connect(t, ctx, s.URL())
	opts := testOpts()
	opts.Concurrency = 1
	dir := t.TempDir()
	ws := startWorkers(t, ctx, s.URL(), opts, 2, dir)
	e := newExecutor(t, ctx, js, opts)

	sink := newCountingSink(ctx, 60)
	submitAll(t, ctx, e, sink, 10) // 6 chunks of 10 inputs of 20 ms
	var victim *process.Process
	testutil.WaitFor(t, ctx, "a worker to start a chunk", func() bool {
		for _, pids := range runs(t, dir) {
			for pid := range pids {
				for _, w := range ws {
					if w.Pid() == pid {
						victim = w
						return true
					}
				}
			}
		}
		return false
	})
	time.Sleep(50 * time.Millisecond) // mid-chunk
	if err := victim.Kill(); err != nil {
		t.Fatal(err)
	}
	killed := time.Now()
	sink.check(t, ctx)

	// The inputs the victim ran and another worker ran again after it.
	var again []int
	var redelivered time.Duration
	for x, pids := range runs(t, dir) {
		if _, ok := pids[victim.Pid()]; ok && len(pids) > 1 {
			again = append(again, x)
			for pid, at := range pids {
				if pid != victim.Pid() && (redelivered == 0 || at.Sub(killed) < redelivered) {
					redelivered = at.Sub(killed)
				}
			}
		}
	}
	if len(again) == 0 {
		t.Fatal("no input of the killed worker ran again: the chunk was not redelivered")
	}
	t.Logf("%d inputs ran twice; the killed worker's chunk restarted %v after the kill (AckWait %v)", len(again), redelivered.Round(time.Millisecond), opts.AckWait)
}

// TestDeliveriesExhausted: a chunk whose every delivery kills its worker
// fails with ErrDeliveriesExhausted (errors.Is pool.ErrWorkerDied) after
// MaxDeliver deliveries, instead of hanging.
func TestDeliveriesExhausted(t *testing.T) {
	ctx := testutil.Context(t)
	s := startServer(t, natsserver.Options{})
	_, js := connect(t, ctx, s.URL())
	opts := testOpts()
	opts.MaxDeliver = 1
	startWorkers(t, ctx, s.URL(), opts, 2, t.TempDir())
	e := newExecutor(t, ctx, js, opts)
	start := time.Now()
	_, err := pool.Apply(ctx, e, crash, 1)
	if !errors.Is(err, natscluster.ErrDeliveriesExhausted) || !errors.Is(err, pool.ErrWorkerDied) || !strings.Contains(err.Error(), "1 deliveries") {
		t.Fatalf("Apply of a task that kills its worker: %v", err)
	}
	t.Logf("failed after %v: %v", time.Since(start).Round(time.Millisecond), err)
}

// TestCancel: a cancelled Map returns at once with ctx's error, and the
// tasks running in the workers see their ctx end (the cancel record), as
// do those past a deadline (the chunk carries it) and past a Timeout.
func TestCancel(t *testing.T) {
	ctx := testutil.Context(t)
	s := startServer(t, natsserver.Options{})
	_, js := connect(t, ctx, s.URL())
	opts := testOpts()
	dir := t.TempDir()
	startWorkers(t, ctx, s.URL(), opts, 2, dir)
	e := newExecutor(t, ctx, js, opts)
	cancelledRecord := func(x int) string {
		b, _ := os.ReadFile(dir + "/cancelled-" + strconv.Itoa(x))
		return string(b)
	}

	t.Run("cancel", func(t *testing.T) {
		cctx, cancel := context.WithCancel(ctx)
		time.AfterFunc(300*time.Millisecond, cancel)
		start := time.Now()
		_, err := pool.Map(cctx, e, block, []int{0, 1}, pool.Chunksize(1))
		if !errors.Is(err, context.Canceled) || time.Since(start) > 2*time.Second {
			t.Fatalf("cancelled Map: %v after %v", err, time.Since(start))
		}
		testutil.WaitFor(t, ctx, "the tasks to see their ctx end", func() bool {
			return cancelledRecord(0) == "context canceled" && cancelledRecord(1) == "context canceled"
		})
	})
	t.Run("deadline", func(t *testing.T) {
		dctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		defer cancel()
		_, err := pool.Map(dctx, e, block, []int{2, 3}, pool.Chunksize(1))
		// The Map's ctx ends, or (the workers' timers first) its tasks
		// answer that theirs did.
		if !errors.Is(err, context.DeadlineExceeded) && !strings.Contains(fmt.Sprint(err), "deadline exceeded") {
			t.Fatalf("Map past its deadline: %v", err)
		}
		testutil.WaitFor(t, ctx, "the tasks to see their deadline", func() bool {
			return cancelledRecord(2) == "context deadline exceeded" && cancelledRecord(3) == "context deadline exceeded"
		})
	})
	t.Run("timeout", func(t *testing.T) {
		_, err := pool.Apply(ctx, e, block, 4, pool.Timeout(100*time.Millisecond))
		var te *pool.TaskError
		if !errors.As(err, &te) || !strings.Contains(te.Message, "deadline exceeded") {
			t.Fatalf("Apply past its Timeout: %v", err)
		}
	})
	// The workers are free again.
	if r, err := pool.Apply(ctx, e, square, 5); err != nil || r != 25 {
		t.Fatalf("Apply after the cancellations: %v, %v", r, err)
	}
}
