package sync

import (
	"context"
	"errors"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shmkit/shmkit/internal/kernel"
	"github.com/shmkit/shmkit/internal/owner"
	"github.com/shmkit/shmkit/internal/testutil/segtest"
	"github.com/shmkit/shmkit/shm"
)

// deadID names a process that cannot exist: a pid above Linux's limit.
const deadID = uint64(12345)<<owner.StartShift | (1<<22 + 7)

func TestOwnerDeadForged(t *testing.T) {
	seg := segtest.New(t)
	m, err := NewMutex(seg, "m")
	if err != nil {
		t.Fatal(err)
	}
	atomic.StoreUint64(&m.lw.Word, deadID) // "held" by a dead process
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	start := time.Now()
	if err := m.Lock(ctx); !errors.Is(err, ErrOwnerDead) {
		t.Fatalf("Lock = %v, want ErrOwnerDead", err)
	}
	t.Logf("recovered after %v", time.Since(start))
	// Unlock without MarkConsistent: not recoverable, for good.
	if err := m.Unlock(); !errors.Is(err, ErrNotRecoverable) {
		t.Fatalf("Unlock = %v, want ErrNotRecoverable", err)
	}
	if err := m.Lock(ctx); !errors.Is(err, ErrNotRecoverable) {
		t.Fatalf("Lock after = %v, want ErrNotRecoverable", err)
	}
	if ok, err := m.TryLock(); ok || !errors.Is(err, ErrNotRecoverable) {
		t.Fatalf("TryLock after = %v %v", ok, err)
	}
}

func TestMarkConsistentForged(t *testing.T) {
	seg := segtest.New(t)
	m, _ := NewMutex(seg, "m")
	atomic.StoreUint64(&m.lw.Word, deadID)
	ok, err := m.TryLock()
	if !ok || !errors.Is(err, ErrOwnerDead) {
		t.Fatalf("TryLock = %v %v, want true ErrOwnerDead", ok, err)
	}
	if err := m.MarkConsistent(); err != nil {
		t.Fatal(err)
	}
	if err := m.Unlock(); err != nil {
		t.Fatal(err)
	}
	if err := m.Lock(context.Background()); err != nil {
		t.Fatalf("Lock after repair = %v", err)
	}
	m.Unlock()
}

func TestUnlockByOtherProcessForged(t *testing.T) {
	seg := segtest.New(t)
	m, _ := NewMutex(seg, "m")
	ppid := os.Getppid() // a live process that is not this one
	st, err := kernel.StartTime(ppid)
	if err != nil {
		t.Skip(err)
	}
	other := uint64(uint32(st))<<owner.StartShift | uint64(ppid)
	atomic.StoreUint64(&m.lw.Word, other)
	if err := m.Unlock(); !errors.Is(err, ErrNotOwner) {
		t.Fatalf("Unlock of another's lock = %v", err)
	}
	if err := m.MarkConsistent(); !errors.Is(err, ErrNotOwner) {
		t.Fatalf("MarkConsistent of another's lock = %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := m.Lock(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Lock of a live owner's lock = %v, want deadline", err)
	}
}

func TestRWMutexDeadWriterForged(t *testing.T) {
	seg := segtest.New(t)
	rw, _ := NewRWMutex(seg, "rw")
	atomic.StoreUint64(&rw.l.W.Word, deadID)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := rw.RLock(ctx); !errors.Is(err, ErrOwnerDead) {
		t.Fatalf("RLock = %v, want ErrOwnerDead", err)
	}
	rw.RUnlock()
	if err := rw.Lock(ctx); !errors.Is(err, ErrOwnerDead) {
		t.Fatalf("Lock = %v, want ErrOwnerDead", err)
	}
	rw.MarkConsistent()
	rw.Unlock()
	if err := rw.RLock(ctx); err != nil {
		t.Fatalf("RLock after repair = %v", err)
	}
	rw.RUnlock()
}

func TestRWMutexDeadReaderForged(t *testing.T) {
	seg := segtest.New(t)
	rw, _ := NewRWMutex(seg, "rw")
	atomic.StoreUint64(&rw.l.Readers[5], deadID)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := rw.Lock(ctx); err != nil {
		t.Fatalf("Lock with a dead reader = %v", err)
	}
	rw.Unlock()
}

func TestBarrierDeadPartyForged(t *testing.T) {
	seg := segtest.New(t)
	b, _ := NewBarrier(seg, "b", 2)
	// Generation 1 begins; generation 0 had this process and a dead one.
	atomic.StoreUint32(&b.l.State, 1<<16)
	atomic.StoreUint64(b.slot(0, 0), b.me)
	atomic.StoreUint64(b.slot(0, 1), deadID)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if _, err := b.Wait(ctx); !errors.Is(err, ErrBrokenBarrier) || ctx.Err() != nil {
		t.Fatalf("Wait = %v (ctx %v), want ErrBrokenBarrier before the deadline", err, ctx.Err())
	}
	if !b.Broken() {
		t.Fatal("not broken")
	}
	b.Reset()
	if b.Broken() || b.Waiting() != 0 {
		t.Fatal("Reset left", b.describe())
	}
}

func TestDescribeHostile(t *testing.T) {
	seg := segtest.New(t)
	o, err := seg.AllocObject("tiny", shm.KindBarrier, layoutVersion, 8, 8, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s := shm.Describe(o); s == "" {
		t.Fatal("no description")
	}
	b, _ := NewBarrier(seg, "b", 3)
	atomic.StoreUint32(&b.l.Parties, 1000) // larger than the object
	if s := shm.Describe(b.obj); s == "" {
		t.Fatal("no description")
	}
	if _, err := OpenBarrier(seg, "b"); !errors.Is(err, shm.ErrCorrupt) {
		t.Fatalf("OpenBarrier with hostile parties = %v", err)
	}
}

// A lock held by an earlier process that had this process's pid (pid
// reuse) is a dead owner's, not ours.
func TestOwnerDeadPidReused(t *testing.T) {
	seg := segtest.New(t)
	m, _ := NewMutex(seg, "m")
	atomic.StoreUint64(&m.lw.Word, m.me^(1<<owner.StartShift)) // our pid, another start time
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := m.Lock(ctx); !errors.Is(err, ErrOwnerDead) {
		t.Fatalf("Lock = %v, want ErrOwnerDead", err)
	}
}

// Sleepers counted by processes killed in FUTEX_WAIT are removed by the
// wakers that find no one asleep.
func TestSleeperCountHeals(t *testing.T) {
	seg := segtest.New(t)
	m, _ := NewMutex(seg, "m")
	atomic.StoreUint32(&m.lw.W.Sleepers, 3)
	ctx := context.Background()
	for range owner.HealAfter - 1 {
		m.Lock(ctx)
		m.Unlock()
	}
	if n := atomic.LoadUint32(&m.lw.W.Sleepers); n != 3 {
		t.Fatalf("sleepers %d after %d futile wakes: healed too early", n, owner.HealAfter-1)
	}
	for range 2*owner.HealAfter + 1 {
		m.Lock(ctx)
		m.Unlock()
	}
	if n := atomic.LoadUint32(&m.lw.W.Sleepers); n != 0 {
		t.Fatalf("sleepers %d after %d futile wakes", n, 3*owner.HealAfter)
	}
	// The same for another kind.
	ev, _ := NewEvent(seg, "ev")
	atomic.StoreUint32(&ev.l.W.Sleepers, 1)
	for range owner.HealAfter {
		ev.Set()
		ev.Clear()
	}
	if n := atomic.LoadUint32(&ev.l.W.Sleepers); n != 0 {
		t.Fatalf("event sleepers %d", n)
	}
}

// TestRWMutexSlotsSharedByGoroutines: reader slots hold the process's id,
// so goroutines of one process can free each other's slots. Replayed
// here, in one goroutine, the interleaving that left a slot held by no
// one: R2 claims, R1 claims and holds, R1's RUnlock frees R2's slot, R3
// claims that slot again, then R2 and R3 both see a writer and release
// what they claimed. Afterwards no slot may be taken, or every writer
// waits for a reader that does not exist.
func TestRWMutexSlotsSharedByGoroutines(t *testing.T) {
	seg := segtest.New(t)
	rw, err := NewRWMutex(seg, "rw")
	if err != nil {
		t.Fatal(err)
	}
	r2 := rw.claim()
	r1 := rw.claim()
	if r1 < 0 || r2 < 0 || r1 == r2 {
		t.Fatalf("claims %d, %d", r1, r2)
	}
	if err := rw.RUnlock(); err != nil { // R1: frees the first slot of ours, R2's
		t.Fatal(err)
	}
	r3 := rw.claim()
	if r3 != r2 {
		t.Fatalf("R3 claimed slot %d, want R2's %d (the replay depends on it)", r3, r2)
	}
	rw.release(r2)
	rw.release(r3)
	if !rw.readersGone(false) {
		t.Fatalf("a reader slot is still taken with no reader: %s", rw.describe())
	}
}
