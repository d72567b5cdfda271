package sync_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shmkit/shmkit/internal/testutil"
	"github.com/shmkit/shmkit/internal/testutil/proctest"
	"github.com/shmkit/shmkit/internal/testutil/segtest"
	"github.com/shmkit/shmkit/process"
	"github.com/shmkit/shmkit/shm"
	"github.com/shmkit/shmkit/sync"
)

// Python's Semaphore(0) starts empty and has no bound; BoundedSemaphore
// refuses a release past its start.
func TestSemaphorePythonShapes(t *testing.T) {
	ctx := context.Background()
	seg := segtest.New(t)
	s := testutil.Must[*sync.Semaphore](t)(sync.NewSemaphore(seg, "zero", 0))
	if s.TryAcquire() {
		t.Fatal("Semaphore(0) gave a unit")
	}
	for range 3 {
		if err := s.Release(); err != nil {
			t.Fatalf("release of an unbounded semaphore: %v", err)
		}
	}
	if s.Value() != 3 {
		t.Fatalf("value %d, want 3", s.Value())
	}
	b := testutil.Must[*sync.Semaphore](t)(sync.NewBoundedSemaphore(seg, "bounded", 1))
	if err := b.Acquire(ctx); err != nil {
		t.Fatal(err)
	}
	b.Release()
	if err := b.Release(); !errors.Is(err, sync.ErrOverflow) {
		t.Fatalf("release past the bound = %v, want ErrOverflow", err)
	}
}

// RLock's owner and depth are visible from every process, and its String
// says who holds it.
func TestRLockOwner(t *testing.T) {
	ctx := context.Background()
	r := testutil.Must[*sync.RLock](t)(sync.NewRLock(segtest.New(t), "r"))
	if pid, depth := r.Owner(); pid != 0 || depth != 0 {
		t.Fatalf("free RLock owner %d depth %d", pid, depth)
	}
	r.Lock(ctx)
	r.Lock(ctx)
	pid, depth := r.Owner()
	if pid != process.Current().Pid || depth != 2 {
		t.Fatalf("Owner = %d, %d; want this pid at depth 2", pid, depth)
	}
	if s := r.String(); !strings.Contains(s, fmt.Sprintf("pid %d", pid)) || !strings.Contains(s, "depth 2") {
		t.Fatalf("String = %q", s)
	}
	r.Unlock()
	r.Unlock()
}

// barrierActionTask waits on a barrier whose action (in this process, if
// it arrives last) counts into Words[0].
var barrierActionTask = process.Register("sync.test.barrieraction", func(ctx context.Context, a struct {
	B     *sync.Barrier
	Words shm.Handle
	N     int
}) (int, error) {
	w, err := words(a.Words)
	if err != nil {
		return 0, err
	}
	a.B.WithAction(func() error { atomic.AddUint64(&w[0], 1); return nil })
	for range a.N {
		if _, err := a.B.Wait(ctx); err != nil {
			return 0, err
		}
		// The action ran before anyone was released.
		if atomic.LoadUint64(&w[0]) == 0 {
			return 0, errors.New("released before the action ran")
		}
	}
	return a.N, nil
})

// The action runs exactly once per generation, in whichever process
// arrives last, before any party is released (Python's Barrier action).
func TestBarrierActionProcesses(t *testing.T) {
	ctx := testutil.Context(t)
	seg := segtest.New(t)
	b := testutil.Must[*sync.Barrier](t)(sync.NewBarrier(seg, "b", 3))
	wo := testutil.Must[*shm.Object](t)(seg.Alloc("words", 8, 8))
	w := testutil.Must[[]uint64](t)(words(wo.Handle()))
	const rounds = 20
	arg := struct {
		B     *sync.Barrier
		Words shm.Handle
		N     int
	}{b, wo.Handle(), rounds}
	p1, p2 := proctest.Start(t, ctx, barrierActionTask, arg), proctest.Start(t, ctx, barrierActionTask, arg)
	b.WithAction(func() error { atomic.AddUint64(&w[0], 1); return nil })
	for i := range rounds {
		if _, err := b.Wait(ctx); err != nil {
			t.Fatal(err)
		}
		if got := atomic.LoadUint64(&w[0]); got < uint64(i+1) {
			t.Fatalf("round %d released with %d actions run", i, got)
		}
	}
	for _, p := range []*process.Process{p1, p2} {
		if err := p.Join(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if got := atomic.LoadUint64(&w[0]); got != rounds {
		t.Fatalf("%d actions for %d generations", got, rounds)
	}
}

// A failing action breaks the barrier; a Wait past the handle's timeout
// breaks it too.
func TestBarrierActionErrorAndTimeout(t *testing.T) {
	ctx := testutil.Context(t)
	seg := segtest.New(t)
	boom := errors.New("boom")
	b := testutil.Must[*sync.Barrier](t)(sync.NewBarrier(seg, "b", 1)).WithAction(func() error { return boom })
	if _, err := b.Wait(ctx); !errors.Is(err, boom) || !errors.Is(err, sync.ErrBrokenBarrier) {
		t.Fatalf("Wait with a failing action = %v", err)
	}
	if !b.Broken() {
		t.Fatal("a failing action left the barrier whole")
	}
	b2 := testutil.Must[*sync.Barrier](t)(sync.NewBarrier(seg, "b2", 2)).WithTimeout(30 * time.Millisecond)
	start := time.Now()
	if _, err := b2.Wait(ctx); !errors.Is(err, sync.ErrBrokenBarrier) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Wait past the timeout = %v", err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Fatalf("timeout of 30ms took %v", d)
	}
	if !b2.Broken() {
		t.Fatal("a timed-out Wait left the barrier whole")
	}
}

// actionHangTask arrives last at a barrier whose action hangs, to be killed
// inside it.
var actionHangTask = process.Register("sync.test.actionhang", func(ctx context.Context, a struct {
	B  *sync.Barrier
	Ev *sync.Event
}) (int, error) {
	a.B.WithAction(func() error { a.Ev.Set(); time.Sleep(time.Hour); return nil })
	return a.B.Wait(ctx)
})

// A process killed inside the barrier's action does not leave the others
// waiting: they are released with ErrBrokenBarrier.
func TestBarrierActionRunnerKilled(t *testing.T) {
	ctx := testutil.Context(t)
	seg := segtest.New(t)
	b := testutil.Must[*sync.Barrier](t)(sync.NewBarrier(seg, "b", 2))
	ev := testutil.Must[*sync.Event](t)(sync.NewEvent(seg, "ev"))
	got := make(chan error, 1)
	go func() { _, err := b.Wait(ctx); got <- err }()
	for b.Waiting() < 1 {
		time.Sleep(time.Millisecond)
	}
	p := proctest.StartHolding(t, ctx, actionHangTask, struct {
		B  *sync.Barrier
		Ev *sync.Event
	}{b, ev}, ev.Wait)
	p.Kill()
	if err := <-got; !errors.Is(err, sync.ErrBrokenBarrier) || ctx.Err() != nil {
		t.Fatalf("Wait while the action's runner died = %v", err)
	}
}
