package process_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"syscall"
	"testing"
	"time"

	"github.com/shmkit/shmkit/internal/testutil"
	"github.com/shmkit/shmkit/process"
)

type parentInfo struct {
	Pid   int
	Name  string
	Alive bool
}

var (
	// whoIsParent reports the child's handle on its parent.
	whoIsParent = process.Register("test.whoisparent", func(ctx context.Context, _ struct{}) (parentInfo, error) {
		pp := process.Parent()
		if pp == nil {
			return parentInfo{}, errors.New("no parent handle in a child")
		}
		return parentInfo{pp.Pid(), pp.Name(), pp.Alive()}, nil
	})
	// reportParent (CPython's _test_report_parent_status) says whether its
	// parent is alive, waits for it to die, and says it again.
	reportParent = process.RegisterFunc("test.reportparent", func(ctx context.Context) error {
		f := process.Files()[0]
		say := func() {
			if process.Parent().Alive() {
				fmt.Fprintln(f, "alive")
			} else {
				fmt.Fprintln(f, "not alive")
			}
		}
		say()
		process.Parent().Wait(context.Background())
		say()
		return nil
	})
	// spawnReporter starts reportParent as a grandchild, then sleeps.
	spawnReporter = process.RegisterFunc("test.spawnreporter", func(ctx context.Context) error {
		if _, err := process.Start(ctx, reportParent, struct{}{}, process.WithFiles(process.Files()[0])); err != nil {
			return err
		}
		<-ctx.Done()
		return nil
	})
	// napThenSay sleeps its argument, unless its ctx ends first.
	napThenSay = process.Register("test.napthensay", func(ctx context.Context, d time.Duration) (string, error) {
		select {
		case <-time.After(d):
			return "done", nil
		case <-ctx.Done():
			return "", context.Cause(ctx)
		}
	})
)

// CPython's test_active_children.
func TestActiveChildren(t *testing.T) {
	ctx := testutil.Context(t)
	p, err := process.Start(ctx, sleeps, struct{}{})
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(process.ActiveChildren(), p) {
		t.Fatal("a running child is not among ActiveChildren")
	}
	p.Terminate()
	p.Join(ctx)
	if slices.Contains(process.ActiveChildren(), p) {
		t.Fatal("a joined child is still among ActiveChildren")
	}
}

// CPython's test_parent_process_attributes and test_parent_process: a
// child's handle on its parent, and a grandchild that sees its parent die.
func TestParentHandle(t *testing.T) {
	ctx := testutil.Context(t)
	if process.Parent() != nil {
		t.Fatal("the test binary has a parent handle")
	}
	info, err := process.Run(ctx, whoIsParent, struct{}{})
	if err != nil {
		t.Fatal(err)
	}
	if want := (parentInfo{os.Getpid(), "MainProcess", true}); info != want {
		t.Fatalf("the child saw its parent as %+v, want %+v", info, want)
	}

	w, f := newWatcher(t)
	p, err := process.Start(ctx, spawnReporter, struct{}{}, process.WithFiles(f))
	if err != nil {
		t.Fatal(err)
	}
	if s := w.line(ctx); s != "alive" {
		t.Fatalf("the grandchild first said %q", s)
	}
	p.Kill()
	p.Join(ctx)
	if s := w.line(ctx); s != "not alive" {
		t.Fatalf("after its parent died the grandchild said %q", s)
	}
}

// CPython's test_close.
func TestClose(t *testing.T) {
	ctx := testutil.Context(t)
	p, err := process.Start(ctx, sleeps, struct{}{})
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); !errors.Is(err, process.ErrRunning) {
		t.Fatalf("Close of a running child: %v", err)
	}
	p.Terminate()
	p.Join(ctx)
	if code, _ := p.ExitCode(); code != -int(syscall.SIGTERM) {
		t.Fatalf("ExitCode %d", code)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if p.IsAlive() {
		t.Fatal("IsAlive after Close")
	}
	if _, ok := p.ExitCode(); ok {
		t.Fatal("ExitCode after Close")
	}
	for name, err := range map[string]error{"Join": p.Join(ctx), "Terminate": p.Terminate(), "Kill": p.Kill(), "Interrupt": p.Interrupt()} {
		if !errors.Is(err, os.ErrClosed) {
			t.Errorf("%s after Close: %v", name, err)
		}
	}
	if _, err := process.Wait[struct{}](ctx, p); !errors.Is(err, os.ErrClosed) {
		t.Errorf("Wait after Close: %v", err)
	}
	if err := p.Close(); err != nil {
		t.Fatalf("a second Close: %v", err)
	}
}

// Shutdown waits for the non-daemonic children and terminates the
// daemonic ones (CPython's exit handler); when its ctx ends first, it
// terminates the rest.
func TestShutdown(t *testing.T) {
	ctx := testutil.Context(t)
	const nap = 300 * time.Millisecond
	start := time.Now()
	worker, err := process.Start(ctx, napThenSay, nap, process.WithDaemon(false))
	if err != nil {
		t.Fatal(err)
	}
	daemon, err := process.Start(ctx, sleeps, struct{}{})
	if err != nil {
		t.Fatal(err)
	}
	if worker.Daemon() || !daemon.Daemon() {
		t.Fatal("Daemon() disagrees with WithDaemon")
	}
	if err := process.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < nap {
		t.Fatalf("Shutdown returned after %v, before the non-daemonic child finished", d)
	}
	if got, err := process.Wait[string](ctx, worker); err != nil || got != "done" {
		t.Fatalf("the non-daemonic child: %q, %v", got, err)
	}
	if code, _ := daemon.ExitCode(); code != -int(syscall.SIGTERM) {
		t.Fatalf("the daemonic child's exit code %d, want -15", code)
	}

	late, err := process.Start(ctx, napThenSay, time.Hour, process.WithDaemon(false))
	if err != nil {
		t.Fatal(err)
	}
	sctx, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	defer cancel()
	if err := process.Shutdown(sctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Shutdown past its ctx: %v", err)
	}
	if late.IsAlive() {
		t.Fatal("Shutdown returned with a child alive")
	}
}
