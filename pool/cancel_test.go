package pool_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shmkit/shmkit/internal/testutil"
	"github.com/shmkit/shmkit/pool"
	"github.com/shmkit/shmkit/process"
)

// waitArg asks waitTask to write Dir/<X>.ready (the worker's name), then,
// by Mode: "nap" returns X after 10 ms; "wait" waits for its ctx to end;
// "ignore" sleeps through it. Once its ctx ended it writes Dir/<X>.done:
// "when|ctx.Err()|context.Cause(ctx)", when in Unix nanoseconds.
type waitArg struct {
	Dir  string
	X    int
	Mode string
}

var waitTask = process.Register("pooltest.wait", func(ctx context.Context, a waitArg) (int, error) {
	name := filepath.Join(a.Dir, strconv.Itoa(a.X))
	if err := os.WriteFile(name+".ready", []byte(process.Current().Name), 0o600); err != nil {
		return 0, err
	}
	switch a.Mode {
	case "nap":
		time.Sleep(10 * time.Millisecond)
		return a.X, nil
	case "ignore":
		time.Sleep(time.Hour)
	}
	<-ctx.Done()
	at := time.Now().UnixNano()
	os.WriteFile(name+".done", fmt.Appendf(nil, "%d|%v|%v", at, ctx.Err(), context.Cause(ctx)), 0o600)
	return 0, context.Cause(ctx)
})

// waitFile waits for Dir/<x><ext> and returns its contents.
func waitFile(t *testing.T, ctx context.Context, dir string, x int, ext string) string {
	t.Helper()
	var b []byte
	testutil.WaitFor(t, ctx, "task "+strconv.Itoa(x)+ext, func() bool {
		var err error
		b, err = os.ReadFile(filepath.Join(dir, strconv.Itoa(x)+ext))
		return err == nil && len(b) > 0
	})
	return string(b)
}

// done parses a .done file: when the task's ctx ended, its Err and Cause.
func done(t *testing.T, ctx context.Context, dir string, x int) (time.Time, string, string) {
	t.Helper()
	f := strings.Split(waitFile(t, ctx, dir, x, ".done"), "|")
	ns, err := strconv.ParseInt(f[0], 10, 64)
	if len(f) != 3 || err != nil {
		t.Fatalf("bad report %q", f)
	}
	return time.Unix(0, ns), f[1], f[2]
}

func waitArgs(dir, mode string, xs ...int) []waitArg {
	var in []waitArg
	for _, x := range xs {
		in = append(in, waitArg{Dir: dir, X: x, Mode: mode})
	}
	return in
}

// Cancelling a Map cancels the ctx of its tasks running in the workers;
// tasks that return leave their workers in place, and Join does not wait.
func TestPoolMapCancelReachesTasks(t *testing.T) {
	ctx := testutil.Context(t)
	p := newPool(t, pool.Options{Workers: 2})
	pids := p.Pids()
	dir := t.TempDir()
	mctx, cancel := context.WithCancel(ctx)
	errc := make(chan error, 1)
	go func() {
		_, err := pool.Map(mctx, p, waitTask, waitArgs(dir, "wait", 0, 1), pool.Chunksize(1))
		errc <- err
	}()
	waitFile(t, ctx, dir, 0, ".ready")
	waitFile(t, ctx, dir, 1, ".ready")
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("Map = %v", err)
	}
	for x := range 2 {
		if _, e, c := done(t, ctx, dir, x); e != "context canceled" || c != "context canceled" {
			t.Fatalf("task %d saw %s / %s", x, e, c)
		}
	}
	start := time.Now()
	if err := p.Join(ctx); err != nil {
		t.Fatal(err)
	}
	// Less than the grace period a task that did not return would cost
	// (a child's exit alone takes a second under -race: atexit_sleep_ms).
	if d := time.Since(start); d >= process.DefaultGrace {
		t.Fatalf("Join took %v after the cancelled tasks returned", d)
	}
	if !slices.Equal(pids, p.Pids()) {
		t.Fatalf("workers replaced: %v then %v", pids, p.Pids())
	}
}

// A task that ignores its cancelled ctx is stopped after the grace period:
// its worker is replaced, the pool goes on, and Join does not wait for it.
func TestPoolCancelStuckTaskStopsAfterGrace(t *testing.T) {
	const grace = 300 * time.Millisecond
	ctx := testutil.Context(t)
	p := newPool(t, pool.Options{Workers: 2, Grace: grace})
	before := p.Pids()
	dir := t.TempDir()
	mctx, cancel := context.WithCancel(ctx)
	errc := make(chan error, 1)
	go func() {
		_, err := pool.Map(mctx, p, waitTask, waitArgs(dir, "ignore", 0))
		errc <- err
	}()
	waitFile(t, ctx, dir, 0, ".ready")
	start := time.Now()
	cancel()
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("Map = %v", err)
	}
	if r, err := pool.Apply(ctx, p, square, 7); err != nil || r != 49 {
		t.Fatalf("the pool beside a stuck task: %d, %v", r, err)
	}
	testutil.WaitFor(t, ctx, "the stuck worker's replacement", func() bool {
		now := p.Pids()
		return !slices.Contains(now, 0) && !slices.Equal(before, now)
	})
	if d := time.Since(start); d < grace {
		t.Fatalf("the stuck worker went %v after the cancellation, before the grace period %v", d, grace)
	}
	if err := p.Join(ctx); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > grace+10*time.Second {
		t.Fatalf("Join returned %v after the cancellation", d)
	}
}

// Join of a pool whose cancelled Map left a stuck task returns once the
// grace period is over, not when the task would.
func TestPoolJoinDoesNotWaitPastGrace(t *testing.T) {
	const grace = 300 * time.Millisecond
	ctx := testutil.Context(t)
	p := newPool(t, pool.Options{Workers: 1, Grace: grace})
	dir := t.TempDir()
	mctx, cancel := context.WithCancel(ctx)
	go pool.Map(mctx, p, waitTask, waitArgs(dir, "ignore", 0))
	waitFile(t, ctx, dir, 0, ".ready")
	start := time.Now()
	cancel()
	if err := p.Join(ctx); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < grace || d > grace+10*time.Second {
		t.Fatalf("Join returned %v after the cancellation, want about the grace period %v", d, grace)
	}
}

// Timeout bounds each input: the task's ctx ends with DeadlineExceeded; a
// task that ignores it is answered after the grace period and its worker
// replaced; the rest of its chunk runs, once, in the replacement.
func TestPoolTimeoutPerTask(t *testing.T) {
	const grace = 300 * time.Millisecond
	ctx := testutil.Context(t)
	p := newPool(t, pool.Options{Workers: 1, Grace: grace})
	dir := t.TempDir()
	in := []waitArg{{dir, 0, "nap"}, {dir, 1, "wait"}, {dir, 2, "ignore"}, {dir, 3, "nap"}}
	var got []string
	for r, err := range pool.Imap(ctx, p, waitTask, slices.Values(in), pool.Timeout(200*time.Millisecond), pool.Chunksize(4)) {
		if err != nil {
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Errorf("%v is not context.DeadlineExceeded", err)
			}
			got = append(got, err.Error())
			continue
		}
		got = append(got, strconv.Itoa(r))
	}
	if got[0] != "0" || got[3] != "3" {
		t.Fatalf("the inputs within their timeout: %q", got)
	}
	if !strings.Contains(got[1], "context deadline exceeded") {
		t.Fatalf("input 1, which returned at its timeout: %q", got[1])
	}
	if !strings.Contains(got[2], "context deadline exceeded") || !strings.Contains(got[2], "grace period") {
		t.Fatalf("input 2, stuck past its timeout: %q", got[2])
	}
	if _, e, _ := done(t, ctx, dir, 1); e != "context deadline exceeded" {
		t.Fatalf("input 1 saw %q", e)
	}
	if _, err := pool.Map(ctx, p, waitTask, waitArgs(dir, "nap", 10), pool.Timeout(time.Second)); err != nil {
		t.Fatalf("after a timeout: %v", err)
	}
}

// Apply's ctx deadline is the task's, in the worker.
func TestPoolApplyDeadlineReachesTask(t *testing.T) {
	ctx := testutil.Context(t)
	p := newPool(t, pool.Options{Workers: 1})
	dir := t.TempDir()
	actx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	dl, _ := actx.Deadline()
	if _, err := pool.Apply(actx, p, waitTask, waitArg{dir, 0, "wait"}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Apply = %v", err)
	}
	at, e, _ := done(t, ctx, dir, 0)
	if e != "context deadline exceeded" {
		t.Fatalf("the task saw %q", e)
	}
	if d := at.Sub(dl); d < 0 || d > time.Second {
		t.Fatalf("the task's ctx ended %v after Apply's deadline", d)
	}
}

// Terminate cancels the running tasks' ctx (process.ErrTerminated) before
// it stops the workers; their calls fail with ErrTerminated.
func TestPoolTerminateCancelsTasks(t *testing.T) {
	ctx := testutil.Context(t)
	p := newPool(t, pool.Options{Workers: 2})
	dir := t.TempDir()
	f0 := pool.ApplyAsync(ctx, p, waitTask, waitArg{dir, 0, "wait"})
	f1 := pool.ApplyAsync(ctx, p, waitTask, waitArg{dir, 1, "wait"})
	waitFile(t, ctx, dir, 0, ".ready")
	waitFile(t, ctx, dir, 1, ".ready")
	start := time.Now()
	p.Terminate()
	if d := time.Since(start); d > process.DefaultGrace {
		t.Fatalf("Terminate took %v with tasks that return when cancelled", d)
	}
	for x, f := range []*pool.Future[int]{f0, f1} {
		if _, err := f.Get(ctx); !errors.Is(err, pool.ErrTerminated) {
			t.Fatalf("task %d: %v", x, err)
		}
		if _, _, c := done(t, ctx, dir, x); c != process.ErrTerminated.Error() {
			t.Fatalf("task %d saw cause %q", x, c)
		}
	}
}

// Leaving an Imap loop early cancels the tasks still running.
func TestPoolImapBreakCancels(t *testing.T) {
	ctx := testutil.Context(t)
	p := newPool(t, pool.Options{Workers: 2})
	dir := t.TempDir()
	in := []waitArg{{dir, 0, "nap"}, {dir, 1, "wait"}}
	for _, err := range pool.ImapUnordered(ctx, p, waitTask, slices.Values(in)) {
		if err != nil {
			t.Fatal(err)
		}
		waitFile(t, ctx, dir, 1, ".ready")
		break
	}
	if _, e, _ := done(t, ctx, dir, 1); e != "context canceled" {
		t.Fatalf("the task left running saw %q", e)
	}
}

// TestPoolCancelLatency measures the time from cancel() in the parent to
// ctx.Done() in a task running in a worker (Apply), over 20 tries:
//
//	go test -count=1 -run TestPoolCancelLatency -v ./pool/
func TestPoolCancelLatency(t *testing.T) {
	ctx := testutil.Context(t)
	p := newPool(t, pool.Options{Workers: 1})
	dir := t.TempDir()
	var lat []time.Duration
	for x := range 20 {
		actx, cancel := context.WithCancel(ctx)
		errc := make(chan error, 1)
		go func() {
			_, err := pool.Apply(actx, p, waitTask, waitArg{dir, x, "wait"})
			errc <- err
		}()
		waitFile(t, ctx, dir, x, ".ready")
		start := time.Now()
		cancel()
		at, _, _ := done(t, ctx, dir, x)
		<-errc
		lat = append(lat, at.Sub(start))
	}
	slices.Sort(lat)
	t.Logf("pool.Apply: cancel to ctx.Done() in the worker over %d tries: p50 %v, max %v", len(lat), lat[len(lat)/2], lat[len(lat)-1])
	if lat[len(lat)/2] > time.Second {
		t.Fatalf("median cancellation latency %v", lat[len(lat)/2])
	}
}
