package process_test

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/shmkit/shmkit/internal/testutil"
	"github.com/shmkit/shmkit/process"
)

// waitCtx tells its parent, on the file passed with WithFiles, "ready",
// then waits for its ctx to end (or, with ignore, sleeps through it) and
// reports "when|ctx.Err()|context.Cause(ctx)", when in Unix nanoseconds.
var waitCtx = process.Register("test.waitctx", func(ctx context.Context, ignore bool) (struct{}, error) {
	f := process.Files()[0]
	fmt.Fprintln(f, "ready")
	if ignore {
		time.Sleep(time.Hour)
	}
	<-ctx.Done()
	fmt.Fprintf(f, "%d|%v|%v\n", time.Now().UnixNano(), ctx.Err(), context.Cause(ctx))
	return struct{}{}, context.Cause(ctx)
})

// spawnWaiter starts waitCtx as a grandchild on the same file, then sleeps
// until it is killed.
var spawnWaiter = process.RegisterFunc("test.spawnwaiter", func(ctx context.Context) error {
	if _, err := process.Start(ctx, waitCtx, false, process.WithFiles(process.Files()[0])); err != nil {
		return err
	}
	time.Sleep(time.Hour)
	return nil
})

// report is what waitCtx wrote once its ctx ended.
type report struct {
	at         time.Time
	err, cause string
}

// watcher reads a waitCtx's lines.
type watcher struct {
	t *testing.T
	r *bufio.Reader
	f *os.File
}

// newWatcher returns a pipe's read side as a watcher and its write side,
// for WithFiles; both are closed at cleanup.
func newWatcher(t *testing.T) (*watcher, *os.File) {
	t.Helper()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close(); w.Close() })
	return &watcher{t: t, r: bufio.NewReader(r), f: r}, w
}

// line reads the next line, failing the test after ctx's deadline.
func (w *watcher) line(ctx context.Context) string {
	w.t.Helper()
	if dl, ok := ctx.Deadline(); ok {
		w.f.SetReadDeadline(dl)
	}
	s, err := w.r.ReadString('\n')
	if err != nil {
		w.t.Fatalf("reading the task's report: %v", err)
	}
	return strings.TrimSuffix(s, "\n")
}

func (w *watcher) ready(ctx context.Context) {
	w.t.Helper()
	if s := w.line(ctx); s != "ready" {
		w.t.Fatalf("task said %q, want ready", s)
	}
}

func (w *watcher) report(ctx context.Context) report {
	w.t.Helper()
	s := w.line(ctx)
	f := strings.Split(s, "|")
	ns, err := strconv.ParseInt(f[0], 10, 64)
	if len(f) != 3 || err != nil {
		w.t.Fatalf("bad report %q", s)
	}
	return report{at: time.Unix(0, ns), err: f[1], cause: f[2]}
}

// The end of Run's ctx cancels the task's ctx in the child; Run returns
// ctx's error once the child is gone.
func TestRunCancelReachesTask(t *testing.T) {
	ctx := testutil.Context(t)
	w, f := newWatcher(t)
	rctx, cancel := context.WithCancel(ctx)
	errc := make(chan error, 1)
	go func() {
		_, err := process.Run(rctx, waitCtx, false, process.WithFiles(f))
		errc <- err
	}()
	w.ready(ctx)
	cancel()
	if r := w.report(ctx); r.err != "context canceled" || r.cause != "context canceled" {
		t.Fatalf("the task saw %+v, want context canceled", r)
	}
	if err := <-errc; !errors.Is(err, context.Canceled) {
		t.Fatalf("Run = %v, want context.Canceled", err)
	}
}

// Run's deadline is the task's: it ends in the child at the same instant,
// as context.DeadlineExceeded.
func TestRunDeadlineReachesTask(t *testing.T) {
	ctx := testutil.Context(t)
	w, f := newWatcher(t)
	rctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	dl, _ := rctx.Deadline()
	_, err := process.Run(rctx, waitCtx, false, process.WithFiles(f))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Run = %v", err)
	}
	w.ready(ctx)
	r := w.report(ctx)
	if r.err != "context deadline exceeded" {
		t.Fatalf("the task saw %+v, want its deadline", r)
	}
	if d := r.at.Sub(dl); d < 0 || d > time.Second {
		t.Fatalf("the task's ctx ended %v after the parent's deadline", d)
	}
}

// Terminate cancels the task's ctx (cause ErrTerminated); the child then
// exits by SIGTERM, as CPython's terminate() (-15). Interrupt cancels it
// with ErrInterrupted and the child exits 1 with the task's error, as
// after CPython's KeyboardInterrupt.
func TestTerminateAndInterruptCancelTask(t *testing.T) {
	for _, tc := range []struct {
		name  string
		stop  func(*process.Process) error
		cause error
		code  int
	}{
		{"Terminate", (*process.Process).Terminate, process.ErrTerminated, -int(syscall.SIGTERM)},
		{"Interrupt", (*process.Process).Interrupt, process.ErrInterrupted, 1},
		{"SIGTERM from elsewhere", func(p *process.Process) error { return syscall.Kill(p.Pid(), syscall.SIGTERM) }, process.ErrTerminated, -int(syscall.SIGTERM)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := testutil.Context(t)
			w, f := newWatcher(t)
			p, err := process.Start(ctx, waitCtx, false, process.WithFiles(f))
			if err != nil {
				t.Fatal(err)
			}
			w.ready(ctx)
			if err := tc.stop(p); err != nil {
				t.Fatal(err)
			}
			if r := w.report(ctx); r.cause != tc.cause.Error() || r.err != "context canceled" {
				t.Fatalf("the task saw %+v, want cause %v", r, tc.cause)
			}
			err = p.Join(ctx)
			var ee *process.ExitError
			if !errors.As(err, &ee) || !strings.Contains(ee.Message, tc.cause.Error()) {
				t.Fatalf("Join = %v, want the task's error %v", err, tc.cause)
			}
			if code, _ := p.ExitCode(); code != tc.code {
				t.Fatalf("ExitCode = %d, want %d", code, tc.code)
			}
		})
	}
}

// A task that ignores its ctx is killed when the grace period is over:
// after Terminate, after Run's ctx ends, and after a SIGTERM from anyone
// (the child's own timer).
func TestGraceThenKill(t *testing.T) {
	const grace = 300 * time.Millisecond
	for _, how := range []string{"Terminate", "Run", "SIGTERM from elsewhere"} {
		t.Run(how, func(t *testing.T) {
			ctx := testutil.Context(t)
			w, f := newWatcher(t)
			opts := []process.Option{process.WithFiles(f), process.WithGrace(grace)}
			if how == "Run" {
				rctx, cancel := context.WithCancel(ctx)
				errc := make(chan error, 1)
				go func() {
					_, err := process.Run(rctx, waitCtx, true, opts...)
					errc <- err
				}()
				w.ready(ctx)
				start := time.Now()
				cancel()
				if err := <-errc; !errors.Is(err, context.Canceled) {
					t.Fatalf("Run = %v", err)
				}
				if d := time.Since(start); d < grace || d > grace+5*time.Second {
					t.Fatalf("Run returned %v after its ctx ended, want about the grace period %v", d, grace)
				}
				return
			}
			p, err := process.Start(ctx, waitCtx, true, opts...)
			if err != nil {
				t.Fatal(err)
			}
			w.ready(ctx)
			start := time.Now()
			if how == "Terminate" {
				p.Terminate()
			} else {
				syscall.Kill(p.Pid(), syscall.SIGTERM)
			}
			p.Join(ctx)
			if d := time.Since(start); d < grace || d > grace+5*time.Second {
				t.Fatalf("the child died %v after SIGTERM, want about the grace period %v", d, grace)
			}
			if code, _ := p.ExitCode(); code != -int(syscall.SIGKILL) {
				t.Fatalf("ExitCode = %d, want -9", code)
			}
		})
	}
}

// A child whose parent dies sees its ctx cancelled with ErrParentDied
// before it goes (CPython's test_parent_process: the grandchild notices
// its parent's death).
func TestParentDeathCancelsTask(t *testing.T) {
	ctx := testutil.Context(t)
	w, f := newWatcher(t)
	p, err := process.Start(ctx, spawnWaiter, struct{}{}, process.WithFiles(f))
	if err != nil {
		t.Fatal(err)
	}
	w.ready(ctx) // the grandchild runs
	p.Kill()
	p.Join(ctx)
	if r := w.report(ctx); r.cause != process.ErrParentDied.Error() {
		t.Fatalf("the grandchild saw %+v, want %v", r, process.ErrParentDied)
	}
}

// TestCancelLatency measures the time from cancel() in the parent to
// ctx.Done() in the task of a Run, over 20 tries:
//
//	go test -count=1 -run TestCancelLatency -v ./process/
func TestCancelLatency(t *testing.T) {
	ctx := testutil.Context(t)
	var lat []time.Duration
	for range 20 {
		w, f := newWatcher(t)
		rctx, cancel := context.WithCancel(ctx)
		errc := make(chan error, 1)
		go func() {
			_, err := process.Run(rctx, waitCtx, false, process.WithFiles(f))
			errc <- err
		}()
		w.ready(ctx)
		start := time.Now()
		cancel()
		r := w.report(ctx)
		<-errc
		lat = append(lat, r.at.Sub(start))
	}
	slices.Sort(lat)
	t.Logf("process.Run: cancel to ctx.Done() in the child over %d tries: p50 %v, max %v", len(lat), lat[len(lat)/2], lat[len(lat)-1])
	if lat[len(lat)/2] > time.Second {
		t.Fatalf("median cancellation latency %v", lat[len(lat)/2])
	}
}
