package sync_test

import (
	"context"
	"testing"
	"time"

	"github.com/shmkit/shmkit/internal/testutil"
	"github.com/shmkit/shmkit/internal/testutil/proctest"
	"github.com/shmkit/shmkit/internal/testutil/segtest"
	"github.com/shmkit/shmkit/process"
	"github.com/shmkit/shmkit/sync"
)

// rlockAllTask takes every reader slot of an RWMutex, says so, and waits
// to be killed holding them.
var rlockAllTask = process.Register("sync.test.rlockall", func(ctx context.Context, a struct {
	RW *sync.RWMutex
	Ev *sync.Event
}) (int, error) {
	for range sync.MaxReaders {
		if err := a.RW.RLock(ctx); err != nil {
			return 0, err
		}
	}
	a.Ev.Set()
	time.Sleep(time.Hour) // until killed
	return 0, nil
})

// A reader killed holding every slot does not wedge later readers: with no
// writer about, RLock itself frees dead readers' slots (issue: only a
// writer used to, and RLock waited until its context ended).
func TestRWMutexAllReadersKilled(t *testing.T) {
	ctx := testutil.Context(t)
	seg := segtest.New(t)
	rw := testutil.Must[*sync.RWMutex](t)(sync.NewRWMutex(seg, "rw"))
	ev := testutil.Must[*sync.Event](t)(sync.NewEvent(seg, "ev"))
	p := proctest.StartHolding(t, ctx, rlockAllTask, struct {
		RW *sync.RWMutex
		Ev *sync.Event
	}{rw, ev}, ev.Wait)
	if ok, err := rw.TryRLock(); ok || err != nil {
		t.Fatalf("TryRLock with every slot held = %v, %v", ok, err)
	}
	got := make(chan error, 1)
	go func() {
		rctx, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		got <- rw.RLock(rctx)
	}()
	time.Sleep(50 * time.Millisecond) // let it sleep waiting for a slot
	killed := time.Now()
	if err := p.Kill(); err != nil {
		t.Fatal(err)
	}
	if err := <-got; err != nil {
		t.Fatalf("RLock after the readers' process died = %v", err)
	}
	t.Logf("a reader slot freed %v after kill -9", time.Since(killed))
	if err := rw.RUnlock(); err != nil {
		t.Fatal(err)
	}
}
