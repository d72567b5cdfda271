package table

import (
	"context"
	"errors"
	"fmt"

	"github.com/shmkit/shmkit/internal/owner"
)

// stripeLock is the lock of one stripe of a table: the robust owner.Lock
// that sync's Mutex uses (16 bytes: the owner's id and flags, then the
// self-healing sleeper count), so a dead holder is found by the one
// liveness rule of internal/owner and a sleeper killed in FUTEX_WAIT does
// not cost every later unlock a futile wake.
//
// What recovery means here. The table's write protocol (see table.go)
// makes every mutation visible by one atomic store, so a lock taken over
// from a dead owner protects a table that is already consistent, except
// for counters and leaked blocks, which the taker repairs at once
// (reclaim.go's repairStripe) before it marks the lock consistent. A taker
// that dies while repairing, or whose repair fails, leaves the lock
// inconsistent for the next taker: repair is idempotent.
type stripeLock struct{ owner.Lock }

const lockSize = owner.LockSize

// lock acquires l for me. It reports recovered = true when it took the lock
// over from a dead owner (the word is then marked inconsistent): the
// caller repairs what the lock protects and calls markRepaired, or
// abandon if the repair failed. An error (the context's) means the lock is
// not held.
func (l *stripeLock) lock(ctx context.Context, me uint64, sp *owner.Spinner) (recovered bool, err error) {
	err = l.Lock.Lock(ctx, me, sp)
	switch {
	case err == nil:
		return false, nil
	case errors.Is(err, owner.ErrOwnerDead):
		return true, nil
	default:
		return false, fmt.Errorf("waiting for a stripe lock: %w", err)
	}
}

// markRepaired clears the inconsistent mark after a successful repair.
func (l *stripeLock) markRepaired(me uint64) error { return l.Lock.MarkConsistent(me) }

// abandon lets go of a lock whose repair failed, leaving it inconsistent
// so that the next taker repairs again.
func (l *stripeLock) abandon(me uint64) { _ = l.Lock.Abandon(me) }

// unlock releases l, which me holds, waking one sleeper if any sleeps. It
// fails only if another process overwrote the word (a corrupt table): the
// word then tells the next locker what it finds.
func (l *stripeLock) unlock(me uint64) { _ = l.Lock.Unlock(me) }

// describe is the lock's state for shmkit inspect.
func (l *stripeLock) describe() string { return l.Lock.Describe() }
