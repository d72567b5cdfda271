package sync

import (
	"errors"

	"github.com/shmkit/shmkit/internal/owner"
)

// Sentinel errors, answerable with errors.Is. Errors about the segment or a
// handle wrap the shm sentinels (shm.ErrWrongKind, shm.ErrCorrupt) instead.
var (
	// ErrOwnerDead: the lock was acquired, but its previous owner died
	// holding it. The caller owns the lock; the state it protects may be
	// half-updated. Repair it and call MarkConsistent before Unlock, or the
	// lock becomes unusable (ErrNotRecoverable). The same value as the
	// robust lock word's own sentinel (internal/owner), so the segment
	// allocator and the manager's tables report the same error.
	ErrOwnerDead = owner.ErrOwnerDead
	// ErrNotRecoverable: a lock whose owner died was unlocked again without
	// MarkConsistent; it can never be acquired again.
	ErrNotRecoverable = owner.ErrNotRecoverable
	// ErrNotOwner: Unlock or MarkConsistent by a process that does not hold
	// the lock (or of a lock that is not locked).
	ErrNotOwner = owner.ErrNotOwner
	// ErrBrokenBarrier: a Barrier was broken by a party that timed out,
	// died, or by Reset, and its waiters were released with this error.
	ErrBrokenBarrier = errors.New("barrier broken")
	// ErrOverflow: a bounded Semaphore was released past its bound.
	ErrOverflow = errors.New("semaphore released too many times")
)
