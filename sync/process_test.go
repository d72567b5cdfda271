package sync_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"github.com/shmkit/shmkit/internal/testutil"
	"github.com/shmkit/shmkit/internal/testutil/proctest"
	"github.com/shmkit/shmkit/internal/testutil/segtest"
	"github.com/shmkit/shmkit/process"
	"github.com/shmkit/shmkit/shm"
	"github.com/shmkit/shmkit/sync"
)

// Child roles. Each takes its shared objects as fields: they travel as
// handles and are attached in the child.

type counterArg struct {
	M       *sync.Mutex
	Counter shm.Handle // 8 bytes: a plain uint64, protected by M
	N       int
}

// words returns the uint64 words of a raw object.
func words(h shm.Handle) ([]uint64, error) {
	o, err := shm.Attach(h, shm.KindBytes, 0)
	if err != nil {
		return nil, err
	}
	b := o.Bytes()
	return unsafe.Slice((*uint64)(unsafe.Pointer(&b[0])), len(b)/8), nil
}

var (
	incrTask = process.Register("sync.test.incr", func(ctx context.Context, a counterArg) (int, error) {
		w, err := words(a.Counter)
		if err != nil {
			return 0, err
		}
		for range a.N {
			if err := a.M.Lock(ctx); err != nil {
				return 0, err
			}
			w[0]++ // a plain read-modify-write: only the lock makes it safe
			if err := a.M.Unlock(); err != nil {
				return 0, err
			}
		}
		return a.N, nil
	})

	holdTask = process.Register("sync.test.hold", func(ctx context.Context, a struct {
		M  *sync.Mutex
		Ev *sync.Event
	}) (int, error) {
		if err := a.M.Lock(ctx); err != nil {
			return 0, err
		}
		a.Ev.Set()
		time.Sleep(time.Hour) // until killed
		return 0, nil
	})

	semTask = process.Register("sync.test.sem", func(ctx context.Context, a struct {
		S     *sync.Semaphore
		Words shm.Handle // [0] holders now, [1] most holders seen
		N     int
	}) (int, error) {
		w, err := words(a.Words)
		if err != nil {
			return 0, err
		}
		for i := range a.N {
			if err := a.S.Acquire(ctx); err != nil {
				return 0, err
			}
			n := atomic.AddUint64(&w[0], 1)
			for m := atomic.LoadUint64(&w[1]); n > m && !atomic.CompareAndSwapUint64(&w[1], m, n); m = atomic.LoadUint64(&w[1]) {
			}
			for range i % 64 { // hold it a little while
				atomic.LoadUint64(&w[0])
			}
			atomic.AddUint64(&w[0], ^uint64(0))
			if err := a.S.Release(); err != nil {
				return 0, err
			}
		}
		return a.N, nil
	})

	barrierTask = process.Register("sync.test.barrier", func(ctx context.Context, a struct {
		B      *sync.Barrier
		Rounds int
		Stay   bool // sleep after the rounds, to be killed
	}) (int, error) {
		for range a.Rounds {
			if _, err := a.B.Wait(ctx); err != nil {
				return 0, err
			}
		}
		if a.Stay {
			time.Sleep(time.Hour)
		}
		return a.Rounds, nil
	})

	eventTask = process.Register("sync.test.event", func(ctx context.Context, a struct {
		Ev    *sync.Event
		Words shm.Handle // [0] waiters about to wait
	}) (bool, error) {
		w, err := words(a.Words)
		if err != nil {
			return false, err
		}
		atomic.AddUint64(&w[0], 1)
		if err := a.Ev.Wait(ctx); err != nil {
			return false, err
		}
		return a.Ev.IsSet(), nil
	})
)

// increments is how many times each process increments under the lock:
// 200 000 in CI, or SHMKIT_SYNC_INCREMENTS (the 1 000 000, say).
func increments() int {
	if n, err := strconv.Atoi(os.Getenv("SHMKIT_SYNC_INCREMENTS")); err == nil && n > 0 {
		return n
	}
	return 200_000
}

func TestMutexProcesses(t *testing.T) {
	const P = 3
	N := increments()
	ctx := testutil.Context(t)
	seg := segtest.New(t)
	m := testutil.Must[*sync.Mutex](t)(sync.NewMutex(seg, "m"))
	c := testutil.Must[*shm.Object](t)(seg.Alloc("counter", 8, 8))
	var ps []*process.Process
	for range P {
		ps = append(ps, proctest.Start(t, ctx, incrTask, counterArg{M: m, Counter: c.Handle(), N: N}))
	}
	for _, p := range ps {
		if err := p.Join(ctx); err != nil {
			t.Fatal(err)
		}
	}
	w := testutil.Must[[]uint64](t)(words(c.Handle()))
	if w[0] != uint64(P*N) {
		t.Fatalf("counter = %d, want %d", w[0], P*N)
	}
	if m.State() != "unlocked" {
		t.Fatalf("left %s", m.State())
	}
}

func TestMutexOwnerKilled(t *testing.T) {
	ctx := testutil.Context(t)
	seg := segtest.New(t)
	m := testutil.Must[*sync.Mutex](t)(sync.NewMutex(seg, "m"))
	ev := testutil.Must[*sync.Event](t)(sync.NewEvent(seg, "held"))
	p := proctest.StartHolding(t, ctx, holdTask, struct {
		M  *sync.Mutex
		Ev *sync.Event
	}{m, ev}, ev.Wait)
	if ok, err := m.TryLock(); ok || err != nil {
		t.Fatalf("TryLock of a live holder's lock = %v %v", ok, err)
	}
	if err := m.Unlock(); !errors.Is(err, sync.ErrNotOwner) {
		t.Fatalf("Unlock by a non-owner = %v", err)
	}
	// Wait asleep in the futex, then kill the holder: the waiter must
	// notice by itself (nobody will ever wake it).
	got := make(chan error, 1)
	go func() { got <- m.Lock(ctx) }()
	time.Sleep(100 * time.Millisecond)
	killed := time.Now()
	if err := p.Kill(); err != nil {
		t.Fatal(err)
	}
	if err := <-got; !errors.Is(err, sync.ErrOwnerDead) {
		t.Fatalf("Lock after the holder died = %v, want ErrOwnerDead", err)
	}
	t.Logf("recovered %v after kill -9", time.Since(killed))
	if err := m.MarkConsistent(); err != nil {
		t.Fatal(err)
	}
	if err := m.Unlock(); err != nil {
		t.Fatal(err)
	}
	if err := m.Lock(ctx); err != nil {
		t.Fatalf("Lock after recovery = %v", err)
	}
	m.Unlock()
}

func TestSemaphoreProcesses(t *testing.T) {
	const K, P, N = 2, 4, 5_000
	ctx := testutil.Context(t)
	seg := segtest.New(t)
	s := testutil.Must[*sync.Semaphore](t)(sync.NewBoundedSemaphore(seg, "s", K))
	w := testutil.Must[*shm.Object](t)(seg.Alloc("words", 16, 8))
	type arg = struct {
		S     *sync.Semaphore
		Words shm.Handle
		N     int
	}
	var ps []*process.Process
	for range P {
		ps = append(ps, proctest.Start(t, ctx, semTask, arg{s, w.Handle(), N}))
	}
	for _, p := range ps {
		if err := p.Join(ctx); err != nil {
			t.Fatal(err)
		}
	}
	ws := testutil.Must[[]uint64](t)(words(w.Handle()))
	if ws[1] > K || ws[1] == 0 || ws[0] != 0 {
		t.Fatalf("most holders at once %d (bound %d), holders left %d", ws[1], K, ws[0])
	}
	if s.Value() != K {
		t.Fatalf("value %d, want %d", s.Value(), K)
	}
}

type barrierArg = struct {
	B      *sync.Barrier
	Rounds int
	Stay   bool
}

func TestBarrierProcesses(t *testing.T) {
	ctx := testutil.Context(t)
	seg := segtest.New(t)
	b := testutil.Must[*sync.Barrier](t)(sync.NewBarrier(seg, "b", 3))
	p1 := proctest.Start(t, ctx, barrierTask, barrierArg{b, 20, false})
	p2 := proctest.Start(t, ctx, barrierTask, barrierArg{b, 20, false})
	for range 20 {
		if _, err := b.Wait(ctx); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []*process.Process{p1, p2} {
		if err := p.Join(ctx); err != nil {
			t.Fatal(err)
		}
	}
}

func TestBarrierDeadParty(t *testing.T) {
	ctx := testutil.Context(t)
	seg := segtest.New(t)
	b := testutil.Must[*sync.Barrier](t)(sync.NewBarrier(seg, "b", 3))
	good := proctest.Start(t, ctx, barrierTask, barrierArg{b, 2, false})
	doomed := proctest.Start(t, ctx, barrierTask, barrierArg{b, 1, true})
	if _, err := b.Wait(ctx); err != nil { // round 1: all three
		t.Fatal(err)
	}
	doomed.Kill()
	doomed.Join(ctx)
	// Round 2: the killed party took part in round 1 and is dead: both
	// waiters are released with ErrBrokenBarrier long before ctx ends.
	if _, err := b.Wait(ctx); !errors.Is(err, sync.ErrBrokenBarrier) {
		t.Fatalf("Wait = %v, want ErrBrokenBarrier", err)
	}
	if ctx.Err() != nil {
		t.Fatal("released by the deadline, not by the dead party")
	}
	var ee *process.ExitError
	if err := good.Join(ctx); !errors.As(err, &ee) || !strings.Contains(ee.Message, sync.ErrBrokenBarrier.Error()) {
		t.Fatalf("the other party = %v, want its ErrBrokenBarrier", err)
	}
}

func TestEventProcesses(t *testing.T) {
	const P = 3
	ctx := testutil.Context(t)
	seg := segtest.New(t)
	ev := testutil.Must[*sync.Event](t)(sync.NewEvent(seg, "ev"))
	w := testutil.Must[*shm.Object](t)(seg.Alloc("words", 8, 8))
	ws := testutil.Must[[]uint64](t)(words(w.Handle()))
	type arg = struct {
		Ev    *sync.Event
		Words shm.Handle
	}
	var ps []*process.Process
	for range P {
		ps = append(ps, proctest.Start(t, ctx, eventTask, arg{ev, w.Handle()}))
	}
	for atomic.LoadUint64(&ws[0]) < P {
		time.Sleep(time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond) // let them fall asleep
	for _, p := range ps {
		if !p.IsAlive() {
			t.Fatal("a waiter returned before Set")
		}
	}
	ev.Set()
	for _, p := range ps {
		if err := p.Join(ctx); err != nil {
			t.Fatal(err)
		}
	}
}

var rlockAndExit = process.Register("sync.test.rlockexit", func(ctx context.Context, r *sync.RLock) (int, error) {
	for range 2 {
		if err := r.Lock(ctx); err != nil {
			return 0, err
		}
	}
	return r.Depth(), nil // exits holding it, two deep
})

func TestRLockOwnerExited(t *testing.T) {
	ctx := testutil.Context(t)
	r := testutil.Must[*sync.RLock](t)(sync.NewRLock(segtest.New(t), "r"))
	if depth, err := process.Run(ctx, rlockAndExit, r); err != nil || depth != 2 {
		t.Fatalf("child: depth %d, %v", depth, err)
	}
	if err := r.Lock(ctx); !errors.Is(err, sync.ErrOwnerDead) {
		t.Fatalf("Lock = %v, want ErrOwnerDead", err)
	}
	r.MarkConsistent()
	if err := r.Unlock(); err != nil || r.Depth() != 0 {
		t.Fatal(err, r.Depth())
	}
}

// condWaiter waits under c's lock until the flag word is set, counting
// itself in Words[1] first.
var condWaiter = process.Register("sync.test.condwait", func(ctx context.Context, a struct {
	C     *sync.Cond
	Words shm.Handle // [0] the flag, protected by C's lock; [1] owner.Waiters
}) (int, error) {
	w, err := words(a.Words)
	if err != nil {
		return 0, err
	}
	if err := a.C.Lock(ctx); err != nil {
		return 0, err
	}
	defer a.C.Unlock()
	atomic.AddUint64(&w[1], 1)
	wakes := 0
	for w[0] == 0 {
		if err := a.C.Wait(ctx); err != nil {
			return wakes, err
		}
		wakes++
	}
	return wakes, nil
})

func TestCondProcesses(t *testing.T) {
	ctx := testutil.Context(t)
	seg := segtest.New(t)
	c := testutil.Must[*sync.Cond](t)(sync.NewCond(seg, "c"))
	wo := testutil.Must[*shm.Object](t)(seg.Alloc("words", 16, 8))
	w := testutil.Must[[]uint64](t)(words(wo.Handle()))
	type arg = struct {
		C     *sync.Cond
		Words shm.Handle
	}
	doomed := proctest.Start(t, ctx, condWaiter, arg{c, wo.Handle()})
	var ps []*process.Process
	for range 2 {
		ps = append(ps, proctest.Start(t, ctx, condWaiter, arg{c, wo.Handle()}))
	}
	for atomic.LoadUint64(&w[1]) < 3 {
		time.Sleep(time.Millisecond)
	}
	// One waiter dies inside Wait: the others and the lock carry on.
	doomed.Kill()
	doomed.Join(ctx)
	// (It may have died just before its Wait released the lock: then
	// the lock comes with ErrOwnerDead, and the flag is intact.)
	if err := c.Lock(ctx); errors.Is(err, sync.ErrOwnerDead) {
		c.L().MarkConsistent()
	} else if err != nil {
		t.Fatalf("Lock after a waiter died = %v", err)
	}
	w[0] = 1
	c.Broadcast()
	if err := c.Unlock(); err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		if err := p.Join(ctx); err != nil {
			t.Fatal(err)
		}
	}
}

var rwHold = process.Register("sync.test.rwhold", func(ctx context.Context, a struct {
	RW    *sync.RWMutex
	Ev    *sync.Event
	Write bool
}) (int, error) {
	lock := a.RW.RLock
	if a.Write {
		lock = a.RW.Lock
	}
	if err := lock(ctx); err != nil {
		return 0, err
	}
	a.Ev.Set()
	time.Sleep(time.Hour)
	return 0, nil
})

func TestRWMutexHoldersKilled(t *testing.T) {
	ctx := testutil.Context(t)
	seg := segtest.New(t)
	rw := testutil.Must[*sync.RWMutex](t)(sync.NewRWMutex(seg, "rw"))
	for i, write := range []bool{false, true} {
		ev := testutil.Must[*sync.Event](t)(sync.NewEvent(seg, fmt.Sprint("ev", i)))
		p := proctest.StartHolding(t, ctx, rwHold, struct {
			RW    *sync.RWMutex
			Ev    *sync.Event
			Write bool
		}{rw, ev, write}, ev.Wait)
		if ok, _ := rw.TryLock(); ok {
			t.Fatal("TryLock while another process holds the lock")
		}
		if ok, _ := rw.TryRLock(); ok != !write {
			t.Fatalf("TryRLock = %v while a %s holds the lock", ok, map[bool]string{false: "reader", true: "writer"}[write])
		}
		if !write {
			rw.RUnlock()
		}
		p.Kill()
		err := rw.Lock(ctx)
		if write != errors.Is(err, sync.ErrOwnerDead) || (err != nil && !errors.Is(err, sync.ErrOwnerDead)) {
			t.Fatalf("Lock after the %v holder was killed = %v", map[bool]string{false: "reading", true: "writing"}[write], err)
		}
		rw.MarkConsistent()
		if err := rw.Unlock(); err != nil {
			t.Fatal(err)
		}
	}
}

// pairWorker keeps an invariant under the lock, in two steps: Words[0] and
// Words[1] are equal whenever the lock is free. A worker killed between
// the steps leaves them unequal; the next locker gets ErrOwnerDead and
// repairs. Words[2] counts repairs, Words[3] is the stop flag.
var pairWorker = process.Register("sync.test.pair", func(ctx context.Context, a counterArg) (int, error) {
	w, err := words(a.Counter)
	if err != nil {
		return 0, err
	}
	n := 0
	for atomic.LoadUint64(&w[3]) == 0 {
		err := a.M.Lock(ctx)
		switch {
		case errors.Is(err, sync.ErrOwnerDead):
			w[1] = w[0]
			atomic.AddUint64(&w[2], 1)
			if err := a.M.MarkConsistent(); err != nil {
				return n, err
			}
		case err != nil:
			return n, err
		case w[0] != w[1]:
			a.M.Unlock()
			return n, fmt.Errorf("invariant broken under a consistent lock: %d != %d", w[0], w[1])
		}
		w[0]++
		for range 50 {
			atomic.LoadUint64(&w[3])
		}
		w[1]++
		if err := a.M.Unlock(); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
})

// Workers are killed at random moments while they share a lock; the lock
// never stays held by the dead and the invariant is always repaired.
func TestMutexKillLoop(t *testing.T) {
	ctx := testutil.Context(t)
	seg := segtest.New(t)
	m := testutil.Must[*sync.Mutex](t)(sync.NewMutex(seg, "m"))
	c := testutil.Must[*shm.Object](t)(seg.Alloc("pair", 32, 8))
	w := testutil.Must[[]uint64](t)(words(c.Handle()))
	arg := counterArg{M: m, Counter: c.Handle()}
	workers := []*process.Process{}
	for range 3 {
		workers = append(workers, proctest.Start(t, ctx, pairWorker, arg))
	}
	for round := range 8 {
		time.Sleep(time.Duration(5+round*3) * time.Millisecond)
		i := round % len(workers)
		workers[i].Kill()
		workers[i].Join(ctx)
		workers[i] = proctest.Start(t, ctx, pairWorker, arg)
	}
	time.Sleep(20 * time.Millisecond)
	atomic.StoreUint64(&w[3], 1)
	for _, p := range workers {
		if err := p.Join(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if err := m.Lock(ctx); err != nil {
		t.Fatalf("Lock at the end = %v", err)
	}
	if w[0] != w[1] {
		t.Fatalf("invariant broken at the end: %d != %d", w[0], w[1])
	}
	m.Unlock()
	t.Logf("%d locked updates, %d repairs after kills", w[0], atomic.LoadUint64(&w[2]))
}
