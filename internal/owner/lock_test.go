package owner

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"
)

// The lock word is part of shmkit's shared format: these numbers change
// only with the layout versions of every object that embeds it.
func TestLockLayout(t *testing.T) {
	if unsafe.Sizeof(Lock{}) != LockSize || unsafe.Offsetof(Lock{}.W) != 8 ||
		unsafe.Sizeof(Waiters{}) != 8 || unsafe.Offsetof(Waiters{}.Futile) != 4 {
		t.Fatal("Lock layout moved")
	}
	if PidMask&(StarvingBit|InconsistentBit|NotRecoverable) != 0 ||
		IDMask&(StarvingBit|InconsistentBit|NotRecoverable) != 0 {
		t.Fatal("flag bits overlap the id")
	}
}

func bounded(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// A lock whose owner is dead is taken with ErrOwnerDead; unlocking it
// without MarkConsistent makes it not recoverable; with it, it works on.
func TestLockDeadOwner(t *testing.T) {
	me, _ := SelfID()
	dead, _ := Make(1<<22+7, 12345)
	var sp Spinner
	for _, repair := range []bool{true, false} {
		var l Lock
		atomic.StoreUint64(&l.Word, dead)
		if err := l.Lock(bounded(t), me, &sp); !errors.Is(err, ErrOwnerDead) {
			t.Fatalf("Lock = %v, want ErrOwnerDead", err)
		}
		if repair {
			if err := l.MarkConsistent(me); err != nil {
				t.Fatal(err)
			}
			if err := l.Unlock(me); err != nil {
				t.Fatal(err)
			}
			if ok, err := l.TryLock(me); !ok || err != nil {
				t.Fatalf("TryLock after repair = %v, %v", ok, err)
			}
			continue
		}
		if err := l.Unlock(me); !errors.Is(err, ErrNotRecoverable) {
			t.Fatalf("Unlock without repair = %v", err)
		}
		if _, err := l.TryLock(me); !errors.Is(err, ErrNotRecoverable) {
			t.Fatalf("TryLock of a not-recoverable lock = %v", err)
		}
	}
}

// Abandon leaves a taken-over lock inconsistent for the next taker.
func TestLockAbandon(t *testing.T) {
	me, _ := SelfID()
	dead, _ := Make(1<<22+7, 1)
	var l Lock
	atomic.StoreUint64(&l.Word, dead)
	if ok, err := l.TryLock(me); !ok || !errors.Is(err, ErrOwnerDead) {
		t.Fatalf("TryLock = %v, %v", ok, err)
	}
	if err := l.Abandon(me); err != nil {
		t.Fatal(err)
	}
	if ok, err := l.TryLock(me); !ok || !errors.Is(err, ErrOwnerDead) {
		t.Fatalf("TryLock after Abandon = %v, %v; want the next taker to repair", ok, err)
	}
}

// A held lock's waiter ends with its context.
func TestLockContext(t *testing.T) {
	me, _ := SelfID()
	var l Lock
	if err := l.Lock(bounded(t), me, new(Spinner)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- l.Lock(ctx, me, new(Spinner)) }()
	select {
	case err := <-done:
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Lock of a held lock = %v, want deadline", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("Lock did not end with its context")
	}
}
