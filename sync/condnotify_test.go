package sync_test

import (
	"context"
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

// notifiedWaiter waits once on C under its lock and counts its return in
// Words[0].
var notifiedWaiter = process.Register("sync.test.notified", func(ctx context.Context, a struct {
	C     *sync.Cond
	Words shm.Handle
}) (int, error) {
	w, err := words(a.Words)
	if err != nil {
		return 0, err
	}
	if err := a.C.Lock(ctx); err != nil {
		return 0, err
	}
	err = a.C.Wait(ctx)
	atomic.AddUint64(&w[0], 1)
	a.C.Unlock()
	return 0, err
})

// Signal wakes exactly one waiter and Notify(n) exactly n, across
// processes; Broadcast the rest (Python's notify, notify(n), notify_all).
// Signal used to wake every waiter that had seen the old sequence number.
func TestCondNotifyExact(t *testing.T) {
	ctx := testutil.Context(t)
	seg := segtest.New(t)
	c := testutil.Must[*sync.Cond](t)(sync.NewCond(seg, "c"))
	wo := testutil.Must[*shm.Object](t)(seg.Alloc("words", 8, 8))
	w := testutil.Must[[]uint64](t)(words(wo.Handle()))
	const waiters = 5
	var ps []*process.Process
	for range waiters {
		ps = append(ps, proctest.Start(t, ctx, notifiedWaiter, struct {
			C     *sync.Cond
			Words shm.Handle
		}{c, wo.Handle()}))
	}
	for c.Waiting() < waiters {
		if ctx.Err() != nil {
			t.Fatal("waiters never all waited")
		}
		time.Sleep(time.Millisecond)
	}
	settle := func(want uint64) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for atomic.LoadUint64(&w[0]) < want && time.Now().Before(deadline) {
			time.Sleep(time.Millisecond)
		}
		time.Sleep(200 * time.Millisecond) // give extra wake-ups time to show
		if got := atomic.LoadUint64(&w[0]); got != want {
			t.Fatalf("%d waiters returned, want %d", got, want)
		}
	}
	notify := func(f func() int) int {
		if err := c.Lock(ctx); err != nil {
			t.Fatal(err)
		}
		defer c.Unlock()
		return f()
	}
	notify(func() int { c.Signal(); return 1 })
	settle(1)
	if k := notify(func() int { return c.Notify(2) }); k != 2 {
		t.Fatalf("Notify(2) woke %d", k)
	}
	settle(3)
	notify(func() int { c.Broadcast(); return 0 })
	settle(waiters)
	if k := notify(func() int { return c.Notify(3) }); k != 0 {
		t.Fatalf("Notify with no one waiting = %d", k)
	}
	for _, p := range ps {
		if err := p.Join(ctx); err != nil {
			t.Fatal(err)
		}
	}
}

// A waiter whose context ends leaves the count, and a Notify that counted
// it is not lost: it returns as notified.
func TestCondWaitCancelled(t *testing.T) {
	ctx := testutil.Context(t)
	c := testutil.Must[*sync.Cond](t)(sync.NewCond(segtest.New(t), "c"))
	if err := c.Lock(ctx); err != nil {
		t.Fatal(err)
	}
	short, stop := context.WithTimeout(ctx, 20*time.Millisecond)
	defer stop()
	if err := c.Wait(short); err == nil {
		t.Fatal("Wait without Notify returned nil")
	}
	if n := c.Waiting(); n != 0 {
		t.Fatalf("a cancelled waiter is still counted: %d", n)
	}
	if k := c.Notify(1); k != 0 {
		t.Fatalf("Notify counted a waiter that left: %d", k)
	}
	c.Unlock()
}
