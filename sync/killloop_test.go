package sync_test

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
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

func killLoops() int { return testutil.KillLoops(6) }

// robustLock is what the kill loops need of each robust lock kind.
type robustLock interface {
	Lock(ctx context.Context) error
	Unlock() error
	MarkConsistent() error
}

// locks carries one lock of each robust kind to a child; Kind picks the one
// it uses.
type locks struct {
	Kind  int // 0 Mutex, 1 RLock, 2 RWMutex (write side)
	M     *sync.Mutex
	R     *sync.RLock
	RW    *sync.RWMutex
	Ev    *sync.Event
	Words shm.Handle // [0], [1] the pair; [2] repairs; [3] stop
}

var lockKinds = []string{"Mutex", "RLock", "RWMutex"}

func (l locks) pick() robustLock {
	switch l.Kind {
	case 0:
		return l.M
	case 1:
		return l.R
	}
	return l.RW
}

func newLocks(t *testing.T, seg *shm.Segment, kind int, tag string) (locks, []uint64) {
	w := testutil.Must[*shm.Object](t)(seg.Alloc("words"+tag, 32, 8))
	return locks{
		Kind:  kind,
		M:     testutil.Must[*sync.Mutex](t)(sync.NewMutex(seg, "m"+tag)),
		R:     testutil.Must[*sync.RLock](t)(sync.NewRLock(seg, "r"+tag)),
		RW:    testutil.Must[*sync.RWMutex](t)(sync.NewRWMutex(seg, "rw"+tag)),
		Ev:    testutil.Must[*sync.Event](t)(sync.NewEvent(seg, "ev"+tag)),
		Words: w.Handle(),
	}, testutil.Must[[]uint64](t)(words(w.Handle()))
}

// lockPair takes l, repairing the pair invariant when the last owner died.
func lockPair(ctx context.Context, l robustLock, w []uint64) error {
	err := l.Lock(ctx)
	switch {
	case errors.Is(err, sync.ErrOwnerDead):
		w[1] = w[0]
		atomic.AddUint64(&w[2], 1)
		return l.MarkConsistent()
	case err != nil:
		return err
	case w[0] != w[1]:
		l.Unlock()
		return fmt.Errorf("invariant broken under a consistent lock: %d != %d", w[0], w[1])
	}
	return nil
}

// pairLoop keeps w[0] == w[1] whenever the lock is free, in two steps, until
// w[3] is set: a kill between the steps leaves them unequal.
var pairLoop = process.Register("sync.test.pairloop", func(ctx context.Context, a locks) (int, error) {
	w, err := words(a.Words)
	if err != nil {
		return 0, err
	}
	l := a.pick()
	n := 0
	for atomic.LoadUint64(&w[3]) == 0 {
		if err := lockPair(ctx, l, w); err != nil {
			return n, err
		}
		w[0]++
		for range 50 {
			atomic.LoadUint64(&w[3])
		}
		w[1]++
		if err := l.Unlock(); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
})

// holdLock takes the lock, says so and waits to be killed.
var holdLock = process.Register("sync.test.holdlock", func(ctx context.Context, a locks) (int, error) {
	if err := a.pick().Lock(ctx); err != nil {
		return 0, err
	}
	a.Ev.Set()
	time.Sleep(time.Hour)
	return 0, nil
})

// Workers sharing each kind of robust lock are killed at random moments;
// after each kill this process takes the lock, repairs if the dead held
// it, and checks the invariant. Nothing stays held by the dead, the
// invariant always holds, and no wait goes past its deadline.
func TestRobustLocksKillLoop(t *testing.T) {
	for kind, name := range lockKinds {
		t.Run(name, func(t *testing.T) {
			ctx := testutil.Context(t)
			a, w := newLocks(t, segtest.New(t), kind, "")
			l := a.pick()
			workers := []*process.Process{proctest.Start(t, ctx, pairLoop, a), proctest.Start(t, ctx, pairLoop, a)}
			for range killLoops() {
				time.Sleep(time.Duration(1+rand.IntN(15)) * time.Millisecond)
				i := rand.IntN(len(workers))
				workers[i].Kill()
				workers[i].Join(ctx)
				if err := lockPair(ctx, l, w); err != nil {
					t.Fatalf("Lock after a kill = %v", err)
				}
				if err := l.Unlock(); err != nil {
					t.Fatal(err)
				}
				workers[i] = proctest.Start(t, ctx, pairLoop, a)
			}
			atomic.StoreUint64(&w[3], 1)
			for _, p := range workers {
				if err := p.Join(ctx); err != nil {
					t.Fatal(err)
				}
			}
			if err := lockPair(ctx, l, w); err != nil {
				t.Fatal(err)
			}
			l.Unlock()
			t.Logf("%d locked updates, %d repairs after %d kills", w[0], atomic.LoadUint64(&w[2]), killLoops())
		})
	}
}

// The time from kill -9 of a lock's holder to a waiter asleep on it getting
// ErrOwnerDead, per kind (p50 and max are logged: go test -v -run
// RecoveryTime ./sync/, SHMKIT_KILL_LOOPS for more rounds).
func TestLockRecoveryTime(t *testing.T) {
	rounds := max(3, killLoops()/2)
	for kind, name := range lockKinds {
		t.Run(name, func(t *testing.T) {
			ctx := testutil.Context(t)
			var times []time.Duration
			for r := range rounds {
				a, _ := newLocks(t, segtest.New(t), kind, strconv.Itoa(r))
				l := a.pick()
				p := proctest.Start(t, ctx, holdLock, a)
				if err := a.Ev.Wait(ctx); err != nil {
					t.Fatal(err)
				}
				got := make(chan error, 1)
				go func() { got <- l.Lock(ctx) }()
				time.Sleep(time.Duration(10+rand.IntN(20)) * time.Millisecond) // asleep in the futex by now
				killed := time.Now()
				p.Kill()
				if err := <-got; !errors.Is(err, sync.ErrOwnerDead) {
					t.Fatalf("Lock after the holder was killed = %v, want ErrOwnerDead", err)
				}
				times = append(times, time.Since(killed))
				l.MarkConsistent()
				if err := l.Unlock(); err != nil {
					t.Fatal(err)
				}
				p.Join(ctx)
			}
			slices.Sort(times)
			t.Logf("%s: kill to ErrOwnerDead over %d kills: p50 %v, max %v", name, len(times), times[len(times)/2], times[len(times)-1])
		})
	}
}

// barrierLoop waits on B until it breaks, counting its passes in Words[0].
var barrierLoop = process.Register("sync.test.barrierloop", func(ctx context.Context, a struct {
	B     *sync.Barrier
	Words shm.Handle
}) (int, error) {
	w, err := words(a.Words)
	if err != nil {
		return 0, err
	}
	for n := 0; ; n++ {
		if _, err := a.B.Wait(ctx); err != nil {
			return n, err
		}
		atomic.AddUint64(&w[0], 1)
	}
})

// Parties of a Barrier are killed at random moments: the survivors are
// released with ErrBrokenBarrier (not by their deadline), and after Reset
// the barrier works again with new parties.
func TestBarrierKillLoop(t *testing.T) {
	ctx := testutil.Context(t)
	seg := segtest.New(t)
	b := testutil.Must[*sync.Barrier](t)(sync.NewBarrier(seg, "b", 3))
	wo := testutil.Must[*shm.Object](t)(seg.Alloc("words", 8, 8))
	w := testutil.Must[[]uint64](t)(words(wo.Handle()))
	arg := struct {
		B     *sync.Barrier
		Words shm.Handle
	}{b, wo.Handle()}
	for range killLoops() {
		ps := []*process.Process{proctest.Start(t, ctx, barrierLoop, arg), proctest.Start(t, ctx, barrierLoop, arg), proctest.Start(t, ctx, barrierLoop, arg)}
		// Every party has passed a generation (a party that dies before it
		// ever arrives is caught only by the others' deadlines, as the
		// package doc says), then a random moment.
		for before := atomic.LoadUint64(&w[0]); atomic.LoadUint64(&w[0]) < before+3 && ctx.Err() == nil; {
			time.Sleep(100 * time.Microsecond)
		}
		time.Sleep(time.Duration(rand.IntN(10)) * time.Millisecond)
		victim := rand.IntN(len(ps))
		ps[victim].Kill()
		killed := time.Now()
		for i, p := range ps {
			err := p.Join(ctx)
			if i == victim {
				continue
			}
			if !errors.Is(err, sync.ErrBrokenBarrier) || ctx.Err() != nil {
				t.Fatalf("a surviving party = %v, want it released with ErrBrokenBarrier", err)
			}
		}
		if d := time.Since(killed); d > 5*time.Second {
			t.Fatalf("survivors released %v after the kill", d)
		}
		b.Reset()
	}
	t.Logf("%d passes over %d kills", atomic.LoadUint64(&w[0]), killLoops())
}

// Waiters of a Cond are killed at random moments while others wait and
// are notified: Broadcast still wakes every live waiter, and the lock is
// never left held by the dead.
func TestCondKillLoop(t *testing.T) {
	ctx := testutil.Context(t)
	for round := range killLoops() {
		seg := segtest.New(t)
		c := testutil.Must[*sync.Cond](t)(sync.NewCond(seg, "c"+strconv.Itoa(round)))
		wo := testutil.Must[*shm.Object](t)(seg.Alloc("w"+strconv.Itoa(round), 8, 8))
		arg := struct {
			C     *sync.Cond
			Words shm.Handle
		}{c, wo.Handle()}
		ps := []*process.Process{proctest.Start(t, ctx, notifiedWaiter, arg), proctest.Start(t, ctx, notifiedWaiter, arg), proctest.Start(t, ctx, notifiedWaiter, arg)}
		time.Sleep(time.Duration(1+rand.IntN(10)) * time.Millisecond)
		victim := rand.IntN(len(ps))
		ps[victim].Kill()
		ps[victim].Join(ctx)
		if err := c.Lock(ctx); errors.Is(err, sync.ErrOwnerDead) {
			c.L().MarkConsistent() // it died holding the lock, before or after Wait
		} else if err != nil {
			t.Fatal(err)
		}
		c.Broadcast()
		c.Unlock()
		for i, p := range ps {
			if i == victim {
				continue
			}
			// A survivor that had not reached Wait yet waits after the
			// Broadcast: notify until it returns.
			done := make(chan error, 1)
			go func() { done <- p.Join(ctx) }()
			for waiting := true; waiting; {
				select {
				case err := <-done:
					if err != nil {
						t.Fatalf("a surviving waiter = %v", err)
					}
					waiting = false
				case <-time.After(20 * time.Millisecond):
					if err := c.Lock(ctx); err != nil && !errors.Is(err, sync.ErrOwnerDead) {
						t.Fatal(err)
					}
					c.Broadcast()
					c.Unlock()
				}
			}
		}
	}
}
