package value_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/shmkit/shmkit/array"
	"github.com/shmkit/shmkit/internal/testutil"
	"github.com/shmkit/shmkit/internal/testutil/proctest"
	"github.com/shmkit/shmkit/internal/testutil/segtest"
	"github.com/shmkit/shmkit/shm"
	"github.com/shmkit/shmkit/sync"
	"github.com/shmkit/shmkit/value"
)

// Python's Value(..., lock=l) and Array(..., lock=l): a Value and an Array
// made WithLock(m) use m's lock in every process, so a child holding the
// Value's lock keeps the parent out of the Array's and of m, and its death
// hands the one lock on with ErrOwnerDead.
func TestSharedLockProcesses(t *testing.T) {
	ctx := testutil.Context(t)
	seg := segtest.New(t)
	m := testutil.Must[*sync.Mutex](t)(sync.NewMutex(seg, "m"))
	v := testutil.Must[*value.Value[int64]](t)(value.New[int64](seg, "v", 1, value.WithLock(m)))
	a := testutil.Must[*array.Array[float64]](t)(array.New[float64](seg, "a", 4, value.WithLock(m)))
	ev := testutil.Must[*sync.Event](t)(sync.NewEvent(seg, "ev"))

	// holdValueLock (process_test.go) takes the lock through the Value.
	p := proctest.StartHolding(t, ctx, holdValueLock, struct {
		V  *value.Value[int64]
		Ev *sync.Event
	}{v, ev}, ev.Wait)
	short, cancel := context.WithTimeout(ctx, 30*time.Millisecond)
	defer cancel()
	if err := a.Lock(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Array.Lock while the child holds the Value's shared lock = %v", err)
	}
	if ok, _ := m.TryLock(); ok {
		t.Fatal("the Mutex is free while the child holds the Value's lock")
	}
	p.Kill()
	if err := a.Lock(ctx); !errors.Is(err, sync.ErrOwnerDead) {
		t.Fatalf("Array.Lock after the holder died = %v, want ErrOwnerDead", err)
	}
	a.Mutex().MarkConsistent()
	short2, cancel2 := context.WithTimeout(ctx, 30*time.Millisecond)
	defer cancel2()
	if err := v.Store(short2, 5); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Store while this process holds the shared lock through the Array = %v", err)
	}
	a.Unlock()
	if err := v.Store(ctx, 5); err != nil || v.Load() != 5 {
		t.Fatalf("Store after Unlock: %v, %d", err, v.Load())
	}
	// Opened again by name, the objects still share m.
	v2 := testutil.Must[*value.Value[int64]](t)(value.Open[int64](seg, "v"))
	if v2.Mutex().Handle() != m.Handle() {
		t.Fatalf("an opened Value's lock is %v, want the shared %v", v2.Mutex().Handle(), m.Handle())
	}
}

// A shared lock must be a Mutex object of the same segment.
func TestSharedLockRefused(t *testing.T) {
	seg := segtest.New(t)
	other := segtest.New(t)
	m := testutil.Must[*sync.Mutex](t)(sync.NewMutex(other, "m"))
	if _, err := value.NewInt[int64](seg, "v", 0, value.WithLock(m)); !errors.Is(err, shm.ErrWrongKind) {
		t.Fatalf("a lock from another segment = %v", err)
	}
	own := testutil.Must[*value.Value[int64]](t)(value.New[int64](seg, "own", 0))
	if _, err := array.New[int32](seg, "a", 2, value.WithLock(own.Mutex())); !errors.Is(err, shm.ErrWrongKind) {
		t.Fatalf("another object's embedded lock = %v", err)
	}
}
