package pool_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/shmkit/shmkit/internal/testutil"
	"github.com/shmkit/shmkit/pool"
	"github.com/shmkit/shmkit/process"
)

var (
	square = process.Register("pooltest.square", func(ctx context.Context, x int) (int, error) {
		return x * x, nil
	})
	// mayDie kills its own worker on input -1, panics on -2, fails on -3.
	mayDie = process.Register("pooltest.maydie", func(ctx context.Context, x int) (int, error) {
		switch x {
		case -1:
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
			time.Sleep(time.Hour)
		case -2:
			panic("negative two")
		case -3:
			return 0, errors.New("negative three")
		}
		return x + 1, nil
	})
	pid = process.Register("pooltest.pid", func(ctx context.Context, _ int) (int, error) {
		return os.Getpid(), nil
	})
	initCount int
	poolInit  = process.Register("pooltest.init", func(ctx context.Context, add int) (struct{}, error) {
		initCount += add
		return struct{}{}, nil
	})
	initFails = process.Register("pooltest.initfails", func(ctx context.Context, _ int) (struct{}, error) {
		return struct{}{}, errors.New("no database")
	})
	countInits = process.Register("pooltest.countinits", func(ctx context.Context, _ int) (string, error) {
		return fmt.Sprintf("%d:%d", os.Getpid(), initCount), nil
	})
	napMs = process.Register("pooltest.nap", func(ctx context.Context, ms int) (int, error) {
		time.Sleep(time.Duration(ms) * time.Millisecond)
		return ms, nil
	})
	unencodable = process.Register("pooltest.bad", func(ctx context.Context, b badArg) (int, error) { return 0, nil })
	big         = process.Register("pooltest.big", func(ctx context.Context, n int) ([]byte, error) {
		return make([]byte, n), nil
	})
)

type badArg struct{ C chan int }

func newPool(t testing.TB, opts pool.Options) *pool.Pool {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	p, err := pool.New(ctx, opts)
	if err != nil {
		t.Fatal(err)
	}
	pids := p.Pids()
	t.Cleanup(func() {
		p.Terminate()
		for _, pid := range pids {
			assertGone(t, pid)
		}
	})
	return p
}

// assertGone fails if pid is still a process (or a zombie) after Terminate
// or Join has returned.
func assertGone(t testing.TB, pid int) {
	t.Helper()
	if pid == 0 {
		return
	}
	if _, err := os.Stat("/proc/" + strconv.Itoa(pid)); err == nil {
		t.Errorf("worker %d still exists after the pool stopped", pid)
	}
}

func TestPoolMapMatchesSerial(t *testing.T) {
	ctx := testutil.Context(t)
	p := newPool(t, pool.Options{Workers: 2})
	n := 100_000
	if testing.Short() {
		n = 10_000
	}
	in := make([]int, n)
	for i := range in {
		in[i] = i - n/2
	}
	got, err := pool.Map(ctx, p, square, in)
	if err != nil {
		t.Fatal(err)
	}
	for i, x := range in {
		if got[i] != x*x {
			t.Fatalf("result %d = %d, want %d", i, got[i], x*x)
		}
	}
	got, err = pool.Map(ctx, p, square, in[:50], pool.Chunksize(1))
	if err != nil || len(got) != 50 || got[49] != in[49]*in[49] {
		t.Fatalf("chunksize 1: %v", err)
	}
}

func TestPoolImapOrderAndUnordered(t *testing.T) {
	ctx := testutil.Context(t)
	p := newPool(t, pool.Options{Workers: 2})
	naps := []int{30, 1, 20, 1, 10, 1, 1, 5}
	var order []int
	for r, err := range pool.Imap(ctx, p, napMs, slices.Values(naps)) {
		if err != nil {
			t.Fatal(err)
		}
		order = append(order, r)
	}
	if !slices.Equal(order, naps) {
		t.Fatalf("Imap order %v, want %v", order, naps)
	}
	var un []int
	for r, err := range pool.ImapUnordered(ctx, p, napMs, slices.Values(naps)) {
		if err != nil {
			t.Fatal(err)
		}
		un = append(un, r)
	}
	slices.Sort(un)
	want := slices.Sorted(slices.Values(naps))
	if !slices.Equal(un, want) {
		t.Fatalf("ImapUnordered got %v, want the same multiset as %v", un, want)
	}
	// A long stream is not held whole and stops early on break.
	seen := 0
	for r, err := range pool.Imap(ctx, p, square, func(yield func(int) bool) {
		for i := 0; ; i++ { // infinite input
			if !yield(i) {
				return
			}
		}
	}) {
		if err != nil || r != seen*seen {
			t.Fatalf("item %d: %d, %v", seen, r, err)
		}
		if seen++; seen == 500 {
			break
		}
	}
}

// A worker killed mid-task fails that task only. With chunks of 5 the
// results the worker committed before it died (quietly: only a chunk's
// last result wakes the parent) must still arrive, and the rest of its
// chunk run elsewhere.
func TestPoolWorkerDeathFailsOneTask(t *testing.T) {
	for _, chunk := range []int{1, 5} {
		t.Run(fmt.Sprintf("chunk%d", chunk), func(t *testing.T) { testWorkerDeath(t, chunk) })
	}
}

func testWorkerDeath(t *testing.T, chunk int) {
	ctx := testutil.Context(t)
	p := newPool(t, pool.Options{Workers: 2})
	before := p.Pids()
	in := []int{1, 2, 3, -1, 5, 6, 7, 8, 9, 10}
	got, err := pool.Map(ctx, p, mayDie, in, pool.Chunksize(chunk))
	if !errors.Is(err, pool.ErrWorkerDied) || !strings.Contains(err.Error(), "input 3") || !strings.Contains(err.Error(), "signal 9") {
		t.Fatalf("Map error = %v", err)
	}
	for i, x := range in {
		if x != -1 && got[i] != x+1 {
			t.Fatalf("input %d (%d) = %d: the other tasks must complete", i, x, got[i])
		}
	}
	// The dead worker was replaced and the pool still works.
	r, err := pool.Apply(ctx, p, mayDie, 41)
	if err != nil || r != 42 {
		t.Fatalf("after a death: %d, %v", r, err)
	}
	var after []int
	testutil.WaitFor(t, ctx, "the dead worker's replacement", func() bool {
		after = p.Pids()
		return !slices.Contains(after, 0) && !slices.Equal(before, after)
	})
	for _, pid := range before {
		if !slices.Contains(after, pid) {
			assertGone(t, pid)
		}
	}
}

func TestPoolTaskErrorsAndPanics(t *testing.T) {
	ctx := testutil.Context(t)
	p := newPool(t, pool.Options{Workers: 1})
	pids := p.Pids()
	_, err := pool.Apply(ctx, p, mayDie, -2)
	var te *pool.TaskError
	if !errors.As(err, &te) || !te.Panic || te.Message != "negative two" || !strings.Contains(te.Stack, "goroutine") ||
		!strings.Contains(te.Frame, "pool_test.go:") || strings.Contains(err.Error(), "goroutine") {
		t.Fatalf("panic: %v", err)
	}
	_, err = pool.Apply(ctx, p, mayDie, -3)
	if !errors.As(err, &te) || te.Panic || te.Message != "negative three" {
		t.Fatalf("error: %v", err)
	}
	if r, err := pool.Apply(ctx, p, mayDie, 1); err != nil || r != 2 {
		t.Fatal(r, err)
	}
	if !slices.Equal(pids, p.Pids()) {
		t.Fatal("a task error or panic replaced the worker")
	}
}

func TestPoolMaxTasksPerChild(t *testing.T) {
	ctx := testutil.Context(t)
	p := newPool(t, pool.Options{Workers: 1, MaxTasksPerChild: 2})
	got, err := pool.Map(ctx, p, pid, make([]int, 6), pool.Chunksize(1))
	if err != nil {
		t.Fatal(err)
	}
	distinct := map[int]int{}
	for _, pid := range got {
		distinct[pid]++
	}
	if len(distinct) != 3 {
		t.Fatalf("6 tasks at 2 per child ran in %d workers: %v", len(distinct), got)
	}
	for pid, n := range distinct {
		if n != 2 {
			t.Fatalf("worker %d ran %d tasks", pid, n)
		}
	}
}

func TestPoolInitializer(t *testing.T) {
	ctx := testutil.Context(t)
	p := newPool(t, pool.Options{Workers: 2, Initializer: poolInit, InitArg: 1})
	got, err := pool.Map(ctx, p, countInits, make([]int, 40), pool.Chunksize(1))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range got {
		if !strings.HasSuffix(s, ":1") {
			t.Fatalf("a worker ran its initializer other than once: %v", got)
		}
	}
	_, err = pool.New(ctx, pool.Options{Workers: 1, Initializer: initFails})
	if err == nil || !strings.Contains(err.Error(), "no database") {
		t.Fatalf("failing initializer: %v", err)
	}
}

func TestPoolCancellation(t *testing.T) {
	p := newPool(t, pool.Options{Workers: 2})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err := pool.Map(ctx, p, napMs, slices.Repeat([]int{100}, 100), pool.Chunksize(1))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Map = %v", err)
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Fatalf("Map returned %v after its deadline", d)
	}
	// The dropped work does not wedge the pool.
	if r, err := pool.Apply(testutil.Context(t), p, square, 9); err != nil || r != 81 {
		t.Fatal(r, err)
	}
}

func TestPoolBadInput(t *testing.T) {
	ctx := testutil.Context(t)
	if _, err := pool.New(ctx, pool.Options{Workers: -1}); err == nil {
		t.Fatal("Workers -1 accepted")
	}
	p := newPool(t, pool.Options{Workers: 1, RingSize: 64 << 10})
	_, err := pool.Apply(ctx, p, new(process.Task[int, int]), 1)
	if !errors.Is(err, process.ErrUnknownTask) || strings.Count(err.Error(), "not registered") != 1 {
		t.Fatalf("unregistered task: %v", err)
	}
	if _, err := pool.Apply(ctx, p, unencodable, badArg{C: make(chan int)}); err == nil || !strings.Contains(err.Error(), "encoding") {
		t.Fatalf("unencodable argument: %v", err)
	}
	if b, err := pool.Apply(ctx, p, big, 1<<20); err != nil || len(b) != 1<<20 {
		t.Fatalf("a result 16 times the ring: %d bytes, %v", len(b), err)
	}
	if _, err := pool.Apply(ctx, p, square, 3); err != nil {
		t.Fatalf("pool broken after bad input: %v", err)
	}
	pids := p.Pids()
	p.Close()
	if _, err := pool.Apply(ctx, p, square, 3); !errors.Is(err, pool.ErrClosed) {
		t.Fatalf("Apply after Close: %v", err)
	}
	if err := p.Join(ctx); err != nil {
		t.Fatal(err)
	}
	for _, pid := range pids {
		assertGone(t, pid)
	}
}

func TestPoolConcurrentSubmitters(t *testing.T) {
	ctx := testutil.Context(t)
	p := newPool(t, pool.Options{Workers: 2})
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Go(func() {
			for i := range 50 {
				x := g*1000 + i
				if i%2 == 0 {
					if r, err := pool.Apply(ctx, p, square, x); err != nil || r != x*x {
						t.Errorf("Apply(%d) = %d, %v", x, r, err)
					}
					continue
				}
				f := pool.ApplyAsync(ctx, p, square, x)
				if r, err := f.Get(ctx); err != nil || r != x*x {
					t.Errorf("ApplyAsync(%d) = %d, %v", x, r, err)
				}
			}
		})
	}
	wg.Wait()
	if err := p.Join(ctx); err != nil {
		t.Fatal(err)
	}
}
