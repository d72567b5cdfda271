package owner

import (
	"context"
	"fmt"
	"structs"
	"sync/atomic"
	"time"
	"unsafe"
)

// Lock is the shared part of every robust lock in shmkit: sync's Mutex,
// RLock and Cond, the write side of RWMutex, the lock embedded in a
// value.Value or an array.Array, the manager's table stripes and a
// segment's allocator lock. One word, one liveness rule, one recovery: a
// waiter that finds the owner dead takes the lock with ErrOwnerDead.
//
//	offset  size  field
//	0       8     Word: owner id and flags (atomic, 64-bit CAS)
//	8       8     waiters: sleepers on Word, futile wakes (see wait.go)
//
// Word, little-endian, low half first (the low half is the futex word):
//
//	bits  0..23  owner pid; 0 = unlocked
//	bit   29     starving: a waiter has waited over starveAfter; only a
//	             starving waiter may take the lock while this is set
//	bit   30     inconsistent: the owner died holding it; the state the lock
//	             protects is suspect until MarkConsistent
//	bit   31     not recoverable (with every other bit 0): locked forever
//	bits 32..63  owner start time, low 32 bits (see id.go)
//
// Acquiring is one CAS that writes pid and start time together, so a waiter
// never sees a pid without its start time. The waiters share the line with
// Word: both are written by the same contenders, and the unlocker reads
// the sleeper count right after writing Word.
type Lock struct {
	_    structs.HostLayout
	Word uint64
	W    Waiters
}

// LockSize is the number of bytes a lock embedded in another object takes
// (see EmbedMutex); it must be 8-byte aligned.
const LockSize = 16

const (
	StarvingBit     = 1 << 29
	InconsistentBit = 1 << 30
	NotRecoverable  = 1 << 31
	// starveAfter is how long a waiter waits before it claims priority
	// over newcomers. Without it, on 2 cores, a process that unlocks and
	// relocks in a loop wins every race against a waiter being woken.
	starveAfter = time.Millisecond
)

// LockAt is the one place that turns mapped bytes into a Lock. Callers
// check that b holds LockSize bytes at an 8-byte-aligned address.
func LockAt(b []byte) *Lock { return (*Lock)(unsafe.Pointer(&b[0])) }

// futex is the low half of Word, the 32 bits FUTEX_WAIT compares
// (little-endian: the low half is at the word's address).
func (l *Lock) Futex() *uint32 { return (*uint32)(unsafe.Pointer(&l.Word)) }

// tryAcquire takes a free lock for me. It fails (false, nil) when the lock
// is held, or free but reserved for a starving waiter and starving is
// false. A lock found inconsistent (its owner died) is taken with
// ErrOwnerDead; a not-recoverable one is an error.
func (l *Lock) tryAcquire(me uint64, starving bool) (bool, error) {
	for {
		old := atomic.LoadUint64(&l.Word)
		switch {
		case old == NotRecoverable:
			return false, ErrNotRecoverable
		case old&PidMask != 0:
			return false, nil
		case old&StarvingBit != 0 && !starving:
			return false, nil
		}
		// Taking the lock clears the starving bit: other starving
		// waiters set it again on their next round.
		if atomic.CompareAndSwapUint64(&l.Word, old, me|old&InconsistentBit) {
			if old&InconsistentBit != 0 {
				return true, ErrOwnerDead
			}
			return true, nil
		}
	}
}

// takeOver replaces the dead owner recorded in old by me, marking the lock
// inconsistent. It fails if the word changed since old was read.
func (l *Lock) TakeOver(old, me uint64) bool {
	if old == NotRecoverable || old&PidMask == 0 || Alive(old) {
		return false
	}
	return atomic.CompareAndSwapUint64(&l.Word, old, me|InconsistentBit)
}

// tryLock never waits: acquire a free lock, or take over a dead owner's
// (checking liveness reads /proc, a few microseconds).
func (l *Lock) TryLock(me uint64) (bool, error) {
	if atomic.CompareAndSwapUint64(&l.Word, 0, me) {
		return true, nil
	}
	if ok, err := l.tryAcquire(me, true); ok || err != nil {
		return ok, err
	}
	old := atomic.LoadUint64(&l.Word)
	if l.TakeOver(old, me) {
		return true, ErrOwnerDead
	}
	return false, nil
}

// lock acquires for me, blocking until it can or ctx ends. The fast path is
// one CAS; lockSlow spins, then sleeps with growing timeouts, checking the
// owner's liveness whenever a sleep times out.
func (l *Lock) Lock(ctx context.Context, me uint64, sp *Spinner) error {
	if atomic.CompareAndSwapUint64(&l.Word, 0, me) {
		return nil
	}
	return l.lockSlow(ctx, me, sp)
}

func (l *Lock) lockSlow(ctx context.Context, me uint64, sp *Spinner) error {
	// Spin: the holder usually lets go within a few hundred nanoseconds.
	budget := sp.Budget()
	for i := range budget {
		if ok, err := l.tryAcquire(me, false); ok || err != nil {
			sp.Won()
			return err
		}
		Pause(i)
	}
	sp.Lost()
	// Sleep. Each round: try; mark starving once waited long; sleep on
	// the futex half of the word as last seen; on timeout, check whether
	// the owner still lives and take over if not.
	start := time.Now()
	starving := false
	for n := 0; ; n++ {
		if ok, err := l.tryAcquire(me, starving); ok || err != nil {
			return err
		}
		old := atomic.LoadUint64(&l.Word)
		if old&PidMask == 0 && (old&StarvingBit == 0 || starving) {
			continue // freed meanwhile: try again
		}
		if !starving && time.Since(start) > starveAfter {
			starving = true
		}
		if starving && old&StarvingBit == 0 {
			atomic.CompareAndSwapUint64(&l.Word, old, old|StarvingBit)
			continue
		}
		timedOut, err := Sleep(ctx, l.Futex(), &l.W, uint32(old), n)
		if err != nil {
			if old&PidMask == 0 {
				return fmt.Errorf("waiting for lock reserved for a starving waiter: %w", err)
			}
			return fmt.Errorf("waiting for lock held by %s: %w", Describe(old), err)
		}
		if timedOut || n%8 == 7 {
			if l.TakeOver(old, me) {
				return ErrOwnerDead
			}
		}
	}
}

// unlock releases a lock me holds. The fast path is one CAS and, only when
// someone sleeps, one FUTEX_WAKE. Releasing an inconsistent lock makes it
// not recoverable and wakes everyone so that they learn it.
func (l *Lock) Unlock(me uint64) error { return l.UnlockN(me, 1) }

// unlockN is unlock waking n sleepers (RWMutex wakes every reader).
func (l *Lock) UnlockN(me uint64, n int) error {
	if atomic.CompareAndSwapUint64(&l.Word, me, 0) {
		Wake(l.Futex(), &l.W, n)
		return nil
	}
	return l.unlockSlow(me, n)
}

func (l *Lock) unlockSlow(me uint64, n int) error {
	for {
		old := atomic.LoadUint64(&l.Word)
		if err := checkOwner(old, me); err != nil {
			return err
		}
		next := old & StarvingBit // keep the starving waiter's claim
		if old&InconsistentBit != 0 {
			next = NotRecoverable
		}
		if !atomic.CompareAndSwapUint64(&l.Word, old, next) {
			continue
		}
		if next == 0 {
			Wake(l.Futex(), &l.W, n)
			return nil
		}
		// A starving waiter may not be the one FUTEX_WAKE picks: wake all.
		Wake(l.Futex(), &l.W, WakeAll)
		if next == NotRecoverable {
			return fmt.Errorf("unlock: %w", ErrNotRecoverable)
		}
		return nil
	}
}

// abandon releases a lock me holds without judging the state it protects:
// an inconsistent lock stays inconsistent (and the next locker gets
// ErrOwnerDead) instead of becoming not recoverable. For a holder that
// gives up before touching that state (RWMutex.Lock whose context ended
// while readers drained).
func (l *Lock) Abandon(me uint64) error {
	for {
		old := atomic.LoadUint64(&l.Word)
		if err := checkOwner(old, me); err != nil {
			return err
		}
		if atomic.CompareAndSwapUint64(&l.Word, old, old&(InconsistentBit|StarvingBit)) {
			Wake(l.Futex(), &l.W, WakeAll)
			return nil
		}
	}
}

// markConsistent clears the inconsistent bit of a lock me holds.
func (l *Lock) MarkConsistent(me uint64) error {
	for {
		old := atomic.LoadUint64(&l.Word)
		if err := checkOwner(old, me); err != nil {
			return err
		}
		if old&InconsistentBit == 0 {
			return nil
		}
		if atomic.CompareAndSwapUint64(&l.Word, old, old&^InconsistentBit) {
			return nil
		}
	}
}

func checkOwner(old, me uint64) error {
	switch {
	case old == NotRecoverable:
		return ErrNotRecoverable
	case old&PidMask == 0:
		return fmt.Errorf("lock is not locked: %w", ErrNotOwner)
	case old&IDMask != me:
		return fmt.Errorf("lock is held by %s: %w", Describe(old), ErrNotOwner)
	}
	return nil
}

// describe is the one-line state for shmkit inspect.
func (l *Lock) Describe() string {
	w := atomic.LoadUint64(&l.Word)
	var s string
	switch {
	case w == NotRecoverable:
		return "not recoverable (owner died, unlocked without MarkConsistent)"
	case w&PidMask == 0:
		s = "unlocked"
	default:
		s = "locked by " + Describe(w)
	}
	if w&InconsistentBit != 0 {
		s += ", inconsistent (previous owner died)"
	}
	if n := atomic.LoadUint32(&l.W.Sleepers); n != 0 {
		s += fmt.Sprintf(", %d asleep", n)
	}
	return s
}
