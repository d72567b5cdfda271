package process_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/shmkit/shmkit/internal/testutil"
	"github.com/shmkit/shmkit/internal/testutil/leak"
	"github.com/shmkit/shmkit/process"
	"github.com/shmkit/shmkit/shm"
)

func TestMain(m *testing.M) {
	process.Main()
	os.Exit(leak.Main(m, suiteSpares()...))
}

// suiteSpares: SHMKIT_TEST_SPARES=n runs the package's tests with n spare
// children kept ready (EnableSpares), so that every Start and Run they
// make is served by a spare where one can be: the whole suite then checks
// that a spare's child is a cold child's equal. They are reaped before the
// leak check. Tests that stop spares restore them (restoreSpares).
func suiteSpares() []leak.Option {
	n := envSpares()
	if n == 0 {
		return nil
	}
	if err := process.EnableSpares(n); err != nil {
		panic(err)
	}
	return []leak.Option{leak.Cleanup(process.StopSpares)}
}

func envSpares() int {
	n, _ := strconv.Atoi(os.Getenv("SHMKIT_TEST_SPARES"))
	return max(n, 0)
}

// restoreSpares puts back the suite's spares (SHMKIT_TEST_SPARES) that a
// test's StopSpares stopped.
func restoreSpares() {
	if n := envSpares(); n > 0 {
		process.EnableSpares(n)
	}
}

type sumArg struct{ A, B int }

var (
	sum = process.Register("test.sum", func(ctx context.Context, a sumArg) (int, error) {
		return a.A + a.B, nil
	})
	fails = process.Register("test.fails", func(ctx context.Context, msg string) (struct{}, error) {
		return struct{}{}, errors.New(msg)
	})
	panics = process.Register("test.panics", func(ctx context.Context, msg string) (struct{}, error) {
		panic(msg)
	})
	// sleeps until its ctx ends (Terminate, Interrupt, Run's ctx).
	sleeps = process.RegisterFunc("test.sleeps", func(ctx context.Context) error {
		<-ctx.Done()
		return context.Cause(ctx)
	})
	whoami = process.Register("test.whoami", func(ctx context.Context, _ struct{}) (process.Info, error) {
		return process.Current(), nil
	})
	writeSeg = process.Register("test.writeseg", func(ctx context.Context, h shm.Handle) (int, error) {
		o, err := shm.Attach(h, shm.KindBytes, 0)
		if err != nil {
			return 0, err
		}
		b := o.Bytes()
		for i := range b {
			b[i] = byte(i * 7)
		}
		return len(b), nil
	})
	// holdSeg attaches the handle, touches every page, reports, and sleeps.
	holdSeg = process.Register("test.holdseg", func(ctx context.Context, h shm.Handle) (struct{}, error) {
		o, err := shm.Attach(h, shm.KindBytes, 0)
		if err != nil {
			return struct{}{}, err
		}
		b := o.Bytes()
		for i := 0; i < len(b); i += 4096 {
			b[i] = 1
		}
		b[0] = 2 // "attached": the parent polls for this
		time.Sleep(time.Hour)
		return struct{}{}, nil
	})
	// parentOfSleeper starts a grandchild that sleeps, writes its pid into
	// the shared word, then sleeps itself.
	parentOfSleeper = process.Register("test.parentofsleeper", func(ctx context.Context, h shm.Handle) (struct{}, error) {
		o, err := shm.Attach(h, shm.KindBytes, 0)
		if err != nil {
			return struct{}{}, err
		}
		p, err := process.Start(ctx, sleeps, struct{}{})
		if err != nil {
			return struct{}{}, err
		}
		copy(o.Bytes(), strconv.Itoa(p.Pid())+"\n")
		time.Sleep(time.Hour)
		return struct{}{}, nil
	})
	exits = process.RegisterFunc("test.exits", func(ctx context.Context) error {
		os.Exit(0)
		return nil
	})
	files = process.RegisterFunc("test.files", func(ctx context.Context) error {
		fs := process.Files()
		if len(fs) != 1 {
			return fmt.Errorf("got %d files", len(fs))
		}
		_, err := fs[0].WriteString("via file")
		return err
	})
)

func TestRunResult(t *testing.T) {
	got, err := process.Run(testutil.Context(t), sum, sumArg{A: 40, B: 2})
	if err != nil || got != 42 {
		t.Fatalf("Run = %d, %v; want 42, nil", got, err)
	}
}

func TestWaitAfterStart(t *testing.T) {
	ctx := testutil.Context(t)
	p, err := process.Start(ctx, sum, sumArg{A: 1, B: 2})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := process.Wait[int](ctx, p); err != nil || got != 3 {
		t.Fatalf("Wait = %d, %v", got, err)
	}
}

func TestChildErrorAndPanic(t *testing.T) {
	ctx := testutil.Context(t)
	_, err := process.Run(ctx, fails, "disk on fire")
	var ee *process.ExitError
	if !errors.As(err, &ee) || ee.Message != "disk on fire" || ee.Code != 1 || ee.Panic {
		t.Fatalf("error task: got %#v (%v)", ee, err)
	}
	_, err = process.Run(ctx, panics, "boom")
	if !errors.As(err, &ee) || !ee.Panic || ee.Message != "boom" || !strings.Contains(ee.Stack, "goroutine") {
		t.Fatalf("panic task: got %v", err)
	}
}

func TestChildExitWithoutResult(t *testing.T) {
	_, err := process.Run(testutil.Context(t), exits, struct{}{})
	if !errors.Is(err, process.ErrNoMain) || !strings.Contains(err.Error(), "os.Exit") {
		t.Fatalf("os.Exit in a task: %v", err)
	}
}

func TestCurrentInChild(t *testing.T) {
	info, err := process.Run(testutil.Context(t), whoami, struct{}{}, process.WithName("worker-7"))
	if err != nil {
		t.Fatal(err)
	}
	if info.Name != "worker-7" || info.ParentPid != os.Getpid() || !info.Child || info.Pid == os.Getpid() {
		t.Fatalf("child saw %+v (parent %d)", info, os.Getpid())
	}
	if me := process.Current(); me.Child || me.Name != "MainProcess" {
		t.Fatalf("parent sees itself as %+v", me)
	}
}

func TestKillLeavesNoZombie(t *testing.T) {
	ctx := testutil.Context(t)
	p, err := process.Start(ctx, sleeps, struct{}{})
	if err != nil {
		t.Fatal(err)
	}
	if !p.IsAlive() {
		t.Fatal("child not alive after Start")
	}
	if _, ok := p.ExitCode(); ok {
		t.Fatal("exit code known while running")
	}
	if err := p.Kill(); err != nil {
		t.Fatal(err)
	}
	err = p.Join(ctx)
	var ee *process.ExitError
	if !errors.As(err, &ee) || ee.Signal != syscall.SIGKILL {
		t.Fatalf("Join after Kill = %v", err)
	}
	if code, ok := p.ExitCode(); !ok || code != -9 {
		t.Fatalf("ExitCode = %d, %v; want -9", code, ok)
	}
	if _, err := os.Stat("/proc/" + strconv.Itoa(p.Pid())); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("pid %d still in /proc after Join (zombie?): %v", p.Pid(), err)
	}
	if err := p.Kill(); err != nil {
		t.Fatalf("Kill of a reaped child: %v", err)
	}
}

func TestTerminate(t *testing.T) {
	ctx := testutil.Context(t)
	p, err := process.Start(ctx, sleeps, struct{}{})
	if err != nil {
		t.Fatal(err)
	}
	p.Terminate()
	p.Join(ctx)
	if code, ok := p.ExitCode(); !ok || code != -int(syscall.SIGTERM) {
		t.Fatalf("ExitCode = %d, %v; want -15", code, ok)
	}
}

func TestJoinTimeout(t *testing.T) {
	p, err := process.Start(testutil.Context(t), sleeps, struct{}{})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { p.Kill(); <-p.Done() }()
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := p.Join(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Join = %v; want deadline exceeded", err)
	}
	if !p.IsAlive() {
		t.Fatal("child died when Join timed out")
	}
}

func TestAnonymousSegmentReachesChild(t *testing.T) {
	seg, err := shm.Anonymous(1<<16, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer seg.Close()
	o, err := seg.Alloc("data", 1000, 64)
	if err != nil {
		t.Fatal(err)
	}
	n, err := process.Run(testutil.Context(t), writeSeg, o.Handle())
	if err != nil || n != 1000 {
		t.Fatalf("child: %d, %v", n, err)
	}
	for i, c := range o.Bytes() {
		if c != byte(i*7) {
			t.Fatalf("byte %d = %d, want %d", i, c, byte(i*7))
		}
	}
}

func TestWithFiles(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	ctx := testutil.Context(t)
	p, err := process.Start(ctx, files, struct{}{}, process.WithFiles(w))
	w.Close()
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Join(ctx); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	n, _ := r.Read(buf)
	if string(buf[:n]) != "via file" {
		t.Fatalf("read %q", buf[:n])
	}
}

// shmemKiB reads the machine's shared-memory total from /proc/meminfo.
func shmemKiB(t *testing.T) int {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		t.Skip(err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) >= 2 && f[0] == "Shmem:" {
			n, _ := strconv.Atoi(f[1])
			return n
		}
	}
	t.Skip("no Shmem in /proc/meminfo")
	return 0
}

func TestKilledChildFreesMemfd(t *testing.T) {
	const size = 256 << 20
	ctx := testutil.Context(t)
	seg, err := shm.Anonymous(size, nil)
	if err != nil {
		t.Fatal(err)
	}
	o, err := seg.Alloc("big", size, 4096)
	if err != nil {
		t.Fatal(err)
	}
	p, err := process.Start(ctx, holdSeg, o.Handle())
	if err != nil {
		t.Fatal(err)
	}
	testutil.WaitFor(t, ctx, "child to attach", func() bool { return o.Bytes()[0] == 2 })
	seg.Close() // the child is now the only holder
	before := shmemKiB(t)
	p.Kill()
	p.Join(ctx)
	// The kernel frees the memfd's pages once the killed child is gone.
	// Other processes may allocate meanwhile, so look for most of it.
	testutil.WaitFor(t, ctx, "memfd pages to be freed", func() bool { return before-shmemKiB(t) > size/1024*3/4 })
}

func TestChildDiesWithParent(t *testing.T) {
	ctx := testutil.Context(t)
	seg, err := shm.Anonymous(4096, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer seg.Close()
	o, err := seg.Alloc("pid", 64, 8)
	if err != nil {
		t.Fatal(err)
	}
	p, err := process.Start(ctx, parentOfSleeper, o.Handle())
	if err != nil {
		t.Fatal(err)
	}
	var grandchild int
	testutil.WaitFor(t, ctx, "grandchild pid", func() bool {
		s, ok := strings.CutSuffix(string(o.Bytes()[:32]), "\n")
		s, _, ok2 := strings.Cut(s, "\n")
		grandchild, _ = strconv.Atoi(strings.TrimRight(s, "\x00"))
		return (ok || ok2) && grandchild > 0
	})
	p.Kill()
	p.Join(ctx)
	testutil.WaitFor(t, ctx, "grandchild to die with its parent", func() bool {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(grandchild) + "/stat")
		return err != nil || strings.Contains(string(b), ") Z ")
	})
}

func ExampleRun() {
	// sum is registered at package level:
	//   var sum = process.Register("test.sum", func(ctx context.Context, a sumArg) (int, error) {...})
	got, err := process.Run(context.Background(), sum, sumArg{A: 2, B: 3})
	fmt.Println(got, err)
	// Output: 5 <nil>
}
