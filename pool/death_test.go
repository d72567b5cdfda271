package pool_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/shmkit/shmkit/internal/testutil"
	"github.com/shmkit/shmkit/pool"
	"github.com/shmkit/shmkit/process"
)

// dieArg asks dieOnce to end its own worker on input Die, in the way How
// says; every call first appends a line to Dir/<X>, so the test counts how
// many times each input ran, across processes.
type dieArg struct {
	X   int
	Die int
	How string // "exit0", "exit3" or "kill"
	Dir string
}

var dieOnce = process.Register("pooltest.dieonce", func(ctx context.Context, a dieArg) (int, error) {
	f, err := os.OpenFile(filepath.Join(a.Dir, strconv.Itoa(a.X)), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return 0, err
	}
	_, err = f.WriteString("ran\n")
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return 0, err
	}
	if a.X == a.Die {
		switch a.How {
		case "exit0":
			os.Exit(0)
		case "exit3":
			os.Exit(3)
		case "kill":
			syscall.Kill(os.Getpid(), syscall.SIGKILL)
			time.Sleep(time.Hour)
		}
	}
	return a.X + 1, nil
})

// runs is how many times input x ran.
func runs(t *testing.T, dir string, x int) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, strconv.Itoa(x)))
	if errors.Is(err, os.ErrNotExist) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.Count(string(b), "ran\n")
}

// A worker that exits while running a task, with status 0, with another
// status or by a signal, fails that task once with ErrWorkerDied naming
// how it ended, and is replaced; the pool never runs the task again (it
// used to re-run a task whose worker exited with status 0 in every
// replacement, for ever). With chunks, the inputs of the dead worker's
// chunk that it had not started run elsewhere, once.
func TestPoolDeathFailsTaskOnce(t *testing.T) {
	cases := []struct {
		how, want string
	}{
		{"exit0", "exited with status 0"},
		{"exit3", "exited with status 3"},
		{"kill", "killed by signal 9"},
	}
	for _, c := range cases {
		for _, chunk := range []int{1, 4} {
			t.Run(fmt.Sprintf("%s/chunk%d", c.how, chunk), func(t *testing.T) {
				testDeathFailsOnce(t, c.how, c.want, chunk)
			})
		}
	}
}

func testDeathFailsOnce(t *testing.T, how, want string, chunk int) {
	p := newPool(t, pool.Options{Workers: 2})
	dir := t.TempDir()
	const n, die = 8, 5 // with chunks of 4: the second of its chunk
	in := make([]dieArg, n)
	for i := range in {
		in[i] = dieArg{X: i, Die: die, How: how, Dir: dir}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	start := time.Now()
	got, err := pool.Map(ctx, p, dieOnce, in, pool.Chunksize(chunk))
	took := time.Since(start)
	if errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Map hung until its deadline (%v); input %d ran %d times", took, die, runs(t, dir, die))
	}
	if !errors.Is(err, pool.ErrWorkerDied) || !strings.Contains(err.Error(), fmt.Sprintf("input %d", die)) || !strings.Contains(err.Error(), want) {
		t.Fatalf("Map error = %v; want ErrWorkerDied for input %d, naming %q", err, die, want)
	}
	var ee *process.ExitError
	if !errors.As(err, &ee) || ee.Pid == 0 {
		t.Fatalf("Map error %v does not carry the worker's *ExitError", err)
	}
	if took > 20*time.Second {
		t.Fatalf("Map took %v", took)
	}
	for i := range in {
		if i != die && got[i] != i+1 {
			t.Errorf("input %d = %d, want %d: the other tasks must complete", i, got[i], i+1)
		}
		if r := runs(t, dir, i); r != 1 {
			t.Errorf("input %d ran %d times, want exactly once", i, r)
		}
	}

	// The dead worker was replaced, and the pool still works; Apply of a
	// dying input fails the same way, once.
	if r, err := pool.Apply(ctx, p, dieOnce, dieArg{X: 100, Die: die, Dir: dir}); err != nil || r != 101 {
		t.Fatalf("after a death: %d, %v", r, err)
	}
	_, err = pool.Apply(ctx, p, dieOnce, dieArg{X: 200, Die: 200, How: how, Dir: dir})
	if !errors.Is(err, pool.ErrWorkerDied) || !strings.Contains(err.Error(), want) {
		t.Fatalf("Apply error = %v; want ErrWorkerDied naming %q", err, want)
	}
	if r := runs(t, dir, 200); r != 1 {
		t.Fatalf("Apply's dying task ran %d times, want once", r)
	}
	if r, err := pool.Apply(ctx, p, dieOnce, dieArg{X: 300, Die: die, Dir: dir}); err != nil || r != 301 {
		t.Fatalf("after a second death: %d, %v", r, err)
	}
	testutil.WaitFor(t, ctx, "a worker in every slot", func() bool {
		for _, pid := range p.Pids() {
			if pid == 0 {
				return false
			}
		}
		return true
	})
	if err := p.Join(ctx); err != nil {
		t.Fatal(err)
	}
}

// A worker recycled by MaxTasksPerChild exits with status 0 holding a
// chunk it never took (queued behind the last one it ran): that chunk runs
// in the replacement, once, and nothing fails.
func TestPoolDeathRecycleRunsQueuedChunkOnce(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	p := newPool(t, pool.Options{Workers: 1, MaxTasksPerChild: 1})
	dir := t.TempDir()
	const n = 10 // a worker each: few, as each start and exit is slow under -race
	in := make([]dieArg, n)
	for i := range in {
		in[i] = dieArg{X: i, Die: -1, Dir: dir}
	}
	got, err := pool.Map(ctx, p, dieOnce, in, pool.Chunksize(1))
	if err != nil {
		t.Fatal(err)
	}
	for i := range in {
		if got[i] != i+1 {
			t.Errorf("input %d = %d, want %d", i, got[i], i+1)
		}
		if r := runs(t, dir, i); r != 1 {
			t.Errorf("input %d ran %d times, want exactly once", i, r)
		}
	}
	if err := p.Join(ctx); err != nil {
		t.Fatal(err)
	}
}
