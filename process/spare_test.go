package process_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/shmkit/shmkit/internal/testutil"
	"github.com/shmkit/shmkit/process"
	"github.com/shmkit/shmkit/shm"
)

type probeArg struct {
	Seg  shm.Handle
	A, B int
}

// probeResult is what a child saw of itself.
type probeResult struct {
	Name, ParentName string
	Pid, PPid        int
	Env, ParentEnv   string // SHMKIT_TEST_SPARE (WithEnv) and SHMKIT_TEST_SPARE_PARENT
	Sum              int
	Deadline         int64 // its ctx's, Unix nanoseconds; 0: none
	Files            int
	Marker           string // SHMKIT_PROCESS_TASK, as a cold child has it
}

// spareProbe writes i*3 into every byte of the segment object, "probe" on
// each file it was passed, and reports what it saw.
var spareProbe = process.Register("test.spareprobe", func(ctx context.Context, a probeArg) (probeResult, error) {
	o, err := shm.Attach(a.Seg, shm.KindBytes, 0)
	if err != nil {
		return probeResult{}, err
	}
	for i := range o.Bytes() {
		o.Bytes()[i] = byte(i * 3)
	}
	for _, f := range process.Files() {
		if _, err := f.WriteString("probe"); err != nil {
			return probeResult{}, err
		}
		f.Close()
	}
	me := process.Current()
	r := probeResult{Name: me.Name, Pid: me.Pid, PPid: me.ParentPid, Sum: a.A + a.B, Files: len(process.Files()),
		Env: os.Getenv("SHMKIT_TEST_SPARE"), ParentEnv: os.Getenv("SHMKIT_TEST_SPARE_PARENT"),
		ParentName: process.Parent().Name(), Marker: os.Getenv("SHMKIT_PROCESS_TASK")}
	if dl, ok := ctx.Deadline(); ok {
		r.Deadline = dl.UnixNano()
	}
	return r, nil
})

// withSpares keeps n spares for one test, ready when it returns; they are
// stopped and reaped at its end.
func withSpares(t *testing.T, n int) context.Context {
	t.Helper()
	ctx := testutil.Context(t)
	if err := process.EnableSpares(n); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { process.StopSpares(); restoreSpares() })
	if err := process.WaitSpares(ctx); err != nil {
		t.Fatal(err)
	}
	return ctx
}

// probeSegment returns an object of 4 KiB in a new anonymous segment,
// made after the spares started: it reaches them only by SCM_RIGHTS.
func probeSegment(t *testing.T) *shm.Object {
	t.Helper()
	seg, err := shm.Anonymous(1<<16, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { seg.Close() })
	o, err := seg.Alloc("probe", 4096, 64)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func checkProbeSegment(t *testing.T, o *shm.Object) {
	t.Helper()
	for i, c := range o.Bytes() {
		if c != byte(i*3) {
			t.Fatalf("segment byte %d = %d, want %d: the child did not write through its handle", i, c, byte(i*3))
		}
	}
}

// A Start served by a spare runs the task with its argument, name,
// environment, files and segments, exactly as a cold child would.
func TestSpareRunsTask(t *testing.T) {
	t.Setenv("SHMKIT_TEST_SPARE_PARENT", "set before the spare started")
	ctx := withSpares(t, 1)
	spare := process.SparePids()[0]
	o := probeSegment(t)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	p, err := process.Start(ctx, spareProbe, probeArg{Seg: o.Handle(), A: 40, B: 2},
		process.WithName("warm-1"), process.WithFiles(w), process.WithEnv("SHMKIT_TEST_SPARE=from WithEnv"))
	w.Close()
	if err != nil {
		t.Fatal(err)
	}
	if !p.FromSpare() || p.Pid() != spare {
		t.Fatalf("Start did not use the ready spare %d (warm %v, pid %d)", spare, p.FromSpare(), p.Pid())
	}
	got, err := process.Wait[probeResult](ctx, p)
	if err != nil {
		t.Fatal(err)
	}
	want := probeResult{Name: "warm-1", ParentName: "MainProcess", Pid: spare, PPid: os.Getpid(), Sum: 42, Files: 1,
		Env: "from WithEnv", ParentEnv: "set before the spare started", Marker: "test.spareprobe"}
	if got != want {
		t.Fatalf("the spare saw\n%+v\nwant\n%+v", got, want)
	}
	b, _ := io.ReadAll(r)
	if string(b) != "probe" {
		t.Fatalf("file passed to the spare: read %q", b)
	}
	checkProbeSegment(t, o)
	if code, ok := p.ExitCode(); !ok || code != 0 {
		t.Fatalf("ExitCode = %d, %v", code, ok)
	}
}

// Run's deadline reaches a spare's task as a cold child's (its ctx ends
// at the same instant), and the spare is replaced after it is used.
func TestSpareRunDeadline(t *testing.T) {
	ctx := withSpares(t, 1)
	for i := range 3 {
		if err := process.WaitSpares(ctx); err != nil {
			t.Fatal(err)
		}
		spare := process.SparePids()[0]
		dctx, cancel := context.WithTimeout(ctx, 30*time.Second)
		dl, _ := dctx.Deadline()
		got, err := process.Run(dctx, spareProbe, probeArg{Seg: probeSegment(t).Handle(), A: i})
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		if got.Pid != spare || got.Deadline != dl.UnixNano() || got.Sum != i {
			t.Fatalf("run %d: pid %d (spare %d), deadline %d (want %d), sum %d", i, got.Pid, spare, got.Deadline, dl.UnixNano(), got.Sum)
		}
	}
}

// Cancellation reaches a spare's task by the same roads as a cold child's:
// the end of Run's ctx (a byte on what was the spare's socket), Terminate
// and Interrupt.
func TestSpareCancellation(t *testing.T) {
	ctx := withSpares(t, 1)
	t.Run("Run's ctx", func(t *testing.T) {
		process.WaitSpares(ctx)
		rctx, cancel := context.WithCancel(ctx)
		warm := make(chan bool, 1)
		go func() {
			for len(process.ActiveChildren()) == 0 {
				time.Sleep(time.Millisecond)
			}
			warm <- process.ActiveChildren()[0].FromSpare()
			time.Sleep(50 * time.Millisecond)
			cancel()
		}()
		start := time.Now()
		_, err := process.Run(rctx, sleeps, struct{}{}, process.WithGrace(time.Minute))
		if !errors.Is(err, context.Canceled) || time.Since(start) > 20*time.Second {
			t.Fatalf("Run = %v after %v; want context.Canceled well before the grace period", err, time.Since(start))
		}
		if !<-warm {
			t.Fatal("not served by the spare")
		}
	})
	for _, c := range []struct {
		name string
		stop func(*process.Process) error
		code int
		msg  string
	}{
		{"Terminate", (*process.Process).Terminate, -int(syscall.SIGTERM), process.ErrTerminated.Error()},
		{"Interrupt", (*process.Process).Interrupt, 1, process.ErrInterrupted.Error()},
	} {
		t.Run(c.name, func(t *testing.T) {
			process.WaitSpares(ctx)
			w, f := newWatcher(t)
			p, err := process.Start(ctx, waitCtx, false, process.WithFiles(f))
			if err != nil {
				t.Fatal(err)
			}
			if !p.FromSpare() {
				t.Fatal("not served by the spare")
			}
			w.ready(ctx)
			c.stop(p)
			rep := w.report(ctx)
			if rep.cause != c.msg {
				t.Fatalf("the task's ctx ended with cause %q, want %q", rep.cause, c.msg)
			}
			p.Join(ctx)
			if code, ok := p.ExitCode(); !ok || code != c.code {
				t.Fatalf("ExitCode = %d, %v; want %d", code, ok, c.code)
			}
		})
	}
}

// A Start right after EnableSpares waits for the spare being exec'ed
// rather than exec'ing one more child beside it.
func TestSpareBeingStartedIsWaitedFor(t *testing.T) {
	ctx := testutil.Context(t)
	process.StopSpares() // the suite's, if any (SHMKIT_TEST_SPARES)
	t.Cleanup(func() { process.StopSpares(); restoreSpares() })
	for i := range 3 {
		if err := process.EnableSpares(1); err != nil {
			t.Fatal(err)
		}
		p, err := process.Start(ctx, sum, sumArg{A: i, B: 1})
		if err != nil {
			t.Fatal(err)
		}
		if got, err := process.Wait[int](ctx, p); err != nil || got != i+1 || !p.FromSpare() {
			t.Fatalf("round %d: %d, %v, from a spare: %v", i, got, err, p.FromSpare())
		}
		process.StopSpares()
	}
}

// The end of Run's ctx just after the spare took its task (the task may
// already have said so) is the task's cancellation, never a failed start
// that kills the child: Run returns once the child, ignoring its ctx, is
// killed a grace period later.
func TestSpareCtxEndsAsTaskStarts(t *testing.T) {
	const grace = 100 * time.Millisecond
	ctx := withSpares(t, 1)
	for i := range 5 {
		if err := process.WaitSpares(ctx); err != nil {
			t.Fatal(err)
		}
		w, f := newWatcher(t)
		rctx, cancel := context.WithCancel(ctx)
		errc := make(chan error, 1)
		go func() {
			_, err := process.Run(rctx, waitCtx, true, process.WithFiles(f), process.WithGrace(grace))
			errc <- err
		}()
		w.ready(ctx) // the task runs; Start may not have returned yet
		start := time.Now()
		cancel()
		err := <-errc
		if d := time.Since(start); !errors.Is(err, context.Canceled) || d < grace {
			t.Fatalf("round %d: Run = %v after %v; want context.Canceled after the grace period %v", i, err, d, grace)
		}
	}
}

// A spare killed while it waits (or stopped by a signal whose default
// action ends it: it asked for them early) is reaped, not left a zombie,
// and replaced.
func TestSpareKilledIdleIsReplaced(t *testing.T) {
	ctx := withSpares(t, 1)
	for _, sig := range []syscall.Signal{syscall.SIGKILL, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP} {
		if err := process.WaitSpares(ctx); err != nil {
			t.Fatal(err)
		}
		old := process.SparePids()[0]
		if err := syscall.Kill(old, sig); err != nil {
			t.Fatal(err)
		}
		testutil.WaitFor(t, ctx, "a new spare after "+sig.String(), func() bool {
			pids := process.SparePids()
			return len(pids) == 1 && pids[0] != old
		})
		if err := process.WaitSpares(ctx); err != nil {
			t.Fatal(err)
		}
		testutil.WaitFor(t, ctx, "the spare to be reaped after "+sig.String(), func() bool { return !exists(old) })
		o := probeSegment(t)
		p, err := process.Start(ctx, spareProbe, probeArg{Seg: o.Handle(), A: 1, B: 2})
		if err != nil {
			t.Fatal(err)
		}
		if got, err := process.Wait[probeResult](ctx, p); err != nil || got.Sum != 3 || !p.FromSpare() {
			t.Fatalf("after the replacement of a spare stopped by %v: %+v, %v (from a spare: %v)", sig, got, err, p.FromSpare())
		}
		checkProbeSegment(t, o)
	}
}

// A spare killed just before Start hands it the task, before its watch
// noticed: Start still succeeds (another spare or a cold child runs the
// task, once) and the dead spare is reaped.
func TestSpareDeadBeforeAssignment(t *testing.T) {
	ctx := withSpares(t, 1)
	for i := range 5 {
		if err := process.WaitSpares(ctx); err != nil {
			t.Fatal(err)
		}
		old := process.SparePids()[0]
		syscall.Kill(old, syscall.SIGKILL)
		o := probeSegment(t)
		got, err := process.Run(ctx, spareProbe, probeArg{Seg: o.Handle(), A: i, B: 1})
		if err != nil || got.Sum != i+1 || got.Pid == old {
			t.Fatalf("round %d: %+v, %v (dead spare %d)", i, got, err, old)
		}
		checkProbeSegment(t, o)
		testutil.WaitFor(t, ctx, "the dead spare to be reaped", func() bool { return !exists(old) })
	}
}

// A spare killed once it has its task, before or while it reads it or
// runs it, fails that Start's child cleanly: Join reports the SIGKILL,
// nothing hangs, the child is reaped.
func TestSpareKilledMidAssignment(t *testing.T) {
	ctx := withSpares(t, 1)
	for i := range 5 {
		if err := process.WaitSpares(ctx); err != nil {
			t.Fatal(err)
		}
		p, err := process.Start(ctx, sleeps, struct{}{})
		if err != nil {
			t.Fatal(err)
		}
		if !p.FromSpare() {
			t.Fatalf("round %d: not served by the spare", i)
		}
		if i > 0 {
			time.Sleep(time.Duration(i) * 200 * time.Microsecond)
		}
		syscall.Kill(p.Pid(), syscall.SIGKILL)
		jctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		err = p.Join(jctx)
		cancel()
		var ee *process.ExitError
		if !errors.As(err, &ee) || ee.Signal != syscall.SIGKILL {
			t.Fatalf("round %d: Join = %v; want an ExitError for SIGKILL", i, err)
		}
		if slices.Contains(process.ActiveChildren(), p) || exists(p.Pid()) {
			t.Fatalf("round %d: killed child %d not reaped", i, p.Pid())
		}
	}
}

// StopSpares reaps every spare, idle or still starting, and leaves no
// process or descriptor behind.
func TestStopSparesLeavesNothing(t *testing.T) {
	ctx := testutil.Context(t)
	process.StopSpares() // the suite's, if any (SHMKIT_TEST_SPARES)
	t.Cleanup(restoreSpares)
	fds := openFDs(t)
	if err := process.EnableSpares(3); err != nil {
		t.Fatal(err)
	}
	if err := process.WaitSpares(ctx); err != nil {
		t.Fatal(err)
	}
	pids := process.SparePids()
	if len(pids) != 3 {
		t.Fatalf("%d spares ready, want 3", len(pids))
	}
	if kids := process.ActiveChildren(); len(kids) != 0 {
		t.Fatalf("spares listed as children: %v", kids)
	}
	process.StopSpares()
	for _, pid := range pids {
		if exists(pid) {
			t.Fatalf("spare %d still there after StopSpares", pid)
		}
	}
	// Stopped while starting: StopSpares waits for them too.
	for range 3 {
		process.EnableSpares(2)
		process.StopSpares()
	}
	if kids := myChildren(); len(kids) != 0 {
		t.Fatalf("processes left after StopSpares: %v", kids)
	}
	if process.WaitSpares(ctx) != nil || len(process.SparePids()) != 0 {
		t.Fatal("spares after StopSpares")
	}
	if after := openFDs(t); after != fds {
		t.Fatalf("%d descriptors open before, %d after", fds, after)
	}
}

// Where a spare cannot be made equivalent to a cold child, Start starts
// one cold and leaves the spare for the next Start.
func TestSpareFallbacks(t *testing.T) {
	ctx := withSpares(t, 1)
	var out bytes.Buffer
	for _, c := range []struct {
		name string
		opt  process.Option
	}{
		{"WithColdStart", process.WithColdStart()},
		{"WithOutput", process.WithOutput(&out, &out)},
		{"runtime env", process.WithEnv("GODEBUG=inittrace=0")},
		{"entry without =", process.WithEnv("SHMKIT_TEST_SPARE")},
	} {
		spare := process.SparePids()[0]
		got, err := process.Run(ctx, spareProbe, probeArg{Seg: probeSegment(t).Handle(), A: 1}, c.opt)
		if err != nil || got.Sum != 1 {
			t.Fatalf("%s: %+v, %v", c.name, got, err)
		}
		if got.Pid == spare || !slices.Equal(process.SparePids(), []int{spare}) {
			t.Fatalf("%s: served by the spare %d (child %d, spares now %v)", c.name, spare, got.Pid, process.SparePids())
		}
	}
}

// printer writes its argument to its standard output and error.
var printer = process.Register("test.printer", func(ctx context.Context, s string) (struct{}, error) {
	fmt.Fprint(os.Stdout, "out:"+s+" ")
	fmt.Fprint(os.Stderr, "err:"+s)
	return struct{}{}, nil
})

// A spare's standard output and error are the Start's: this process's
// os.Stdout and os.Stderr as of the call, or WithOutput's files.
func TestSpareOutput(t *testing.T) {
	ctx := withSpares(t, 1)
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	p, err := process.Start(ctx, printer, "warm", process.WithOutput(w, w))
	w.Close()
	if err != nil {
		t.Fatal(err)
	}
	if !p.FromSpare() {
		t.Fatal("not served by the spare")
	}
	if err := p.Join(ctx); err != nil {
		t.Fatal(err)
	}
	if b, _ := io.ReadAll(r); string(b) != "out:warm err:warm" {
		t.Fatalf("the spare's output: %q", b)
	}
}

// A spare's environment is this process's when it started: spares that
// started before a change of the environment are retired, so a child
// always sees the environment of the moment of its Start.
func TestSpareRetiredOnEnvChange(t *testing.T) {
	ctx := withSpares(t, 1)
	old := process.SparePids()[0]
	t.Setenv("SHMKIT_TEST_SPARE_PARENT", "set after the spare started")
	got, err := process.Run(ctx, spareProbe, probeArg{Seg: probeSegment(t).Handle()})
	if err != nil || got.ParentEnv != "set after the spare started" || got.Pid == old {
		t.Fatalf("after Setenv: %+v, %v (old spare %d)", got, err, old)
	}
	if err := process.WaitSpares(ctx); err != nil {
		t.Fatal(err)
	}
	fresh := process.SparePids()[0]
	got, err = process.Run(ctx, spareProbe, probeArg{Seg: probeSegment(t).Handle()})
	if err != nil || got.ParentEnv != "set after the spare started" || got.Pid != fresh {
		t.Fatalf("from the new spare %d: %+v, %v", fresh, got, err)
	}
	testutil.WaitFor(t, ctx, "the retired spare to be reaped", func() bool { return !exists(old) })
}

// A task served by a spare starts children of its own (grandchildren)
// like any child.
func TestSpareStartsGrandchild(t *testing.T) {
	ctx := withSpares(t, 1)
	w, f := newWatcher(t)
	p, err := process.Start(ctx, spawnWaiter, struct{}{}, process.WithFiles(f))
	if err != nil {
		t.Fatal(err)
	}
	if !p.FromSpare() {
		t.Fatal("not served by the spare")
	}
	w.ready(ctx) // the grandchild runs
	p.Kill()
	p.Join(ctx)
	if rep := w.report(ctx); rep.cause != process.ErrParentDied.Error() {
		t.Fatalf("grandchild's ctx ended with %q, want %q", rep.cause, process.ErrParentDied)
	}
}

func TestEnableSparesRefuses(t *testing.T) {
	for _, n := range []int{-1, process.MaxSpares + 1} {
		if err := process.EnableSpares(n); !errors.Is(err, os.ErrInvalid) {
			t.Fatalf("EnableSpares(%d) = %v", n, err)
		}
	}
}

// exists reports whether pid is in /proc (a zombie included).
func exists(pid int) bool {
	_, err := os.Stat("/proc/" + strconv.Itoa(pid))
	return err == nil
}

// myChildren lists this process's children, zombies included.
func myChildren() []string {
	ents, _ := os.ReadDir("/proc")
	var out []string
	me := " " + strconv.Itoa(os.Getpid()) + " "
	for _, e := range ents {
		b, err := os.ReadFile("/proc/" + e.Name() + "/stat")
		if err != nil {
			continue
		}
		s := string(b)
		if i := strings.LastIndexByte(s, ')'); i > 0 && len(s) > i+4 && strings.HasPrefix(s[i+3:], me[1:]) {
			out = append(out, e.Name())
		}
	}
	return out
}

func openFDs(t *testing.T) int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		t.Skip(err)
	}
	return len(ents)
}
