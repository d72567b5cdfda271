package owner

import "errors"

// The lock sentinels. sync re-exports them under the same names, so
// errors.Is works whichever package a caller names.
var (
	// ErrOwnerDead: the lock was acquired, but its previous owner died
	// holding it. The caller owns the lock; the state it protects may be
	// half-updated. Repair it and call MarkConsistent before Unlock, or the
	// lock becomes unusable (ErrNotRecoverable).
	ErrOwnerDead = errors.New("previous owner died holding the lock")
	// ErrNotRecoverable: a lock whose owner died was unlocked again without
	// MarkConsistent; it can never be acquired again.
	ErrNotRecoverable = errors.New("lock not recoverable: unlocked after its owner died without MarkConsistent")
	// ErrNotOwner: Unlock or MarkConsistent by a process that does not hold
	// the lock (or of a lock that is not locked).
	ErrNotOwner = errors.New("lock not held by this process")
)
