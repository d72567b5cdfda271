package table

import (
	"context"
	"sync/atomic"
)

// Optimistic reads: Get and Contains first read without the stripe lock,
// writing nothing to shared memory, so readers in many processes do not
// bounce the lock's cache line between cores.
//
// Why that is safe: a reader reaches only published blocks (a block is
// written whole before the store that links it), and every link it
// follows names a block that was valid when the link was read. What can
// go wrong is that a block it is reading gets unlinked, freed and reused
// by a writer meanwhile. Every free of a block that was reachable is
// preceded by Seq += 2 on its stripe (table.retire; Reclaim and Clear bump
// every stripe). So the reader loads Seq, walks and copies, and loads Seq
// again: unchanged means no block it read was freed before it finished.
// Changed, it retries; after readTries it takes the lock.
//
// Everything read meanwhile is bounds-checked as always (readBlock, a
// bounded chain walk), so a torn read is a retry, never an out-of-bounds
// access. A writer killed at any point leaves Seq even: nothing to repair.
//
// The obvious-but-wrong version: skip the second Seq load and trust the
// copy. A value freed and rewritten by another key's Set mid-copy would be
// returned torn.
const readTries = 4

// getAppend appends key's value to dst: lock-free first, then locked.
func (t *table) getAppend(ctx context.Context, key, dst []byte) ([]byte, bool, error) {
	if err := t.checkKey(key); err != nil {
		return dst, false, err
	}
	h := t.hash(key)
	s := t.stripe(t.stripeOf(h))
	for range readTries {
		seq := atomic.LoadUint32(&s.Seq)
		out, ok, err := t.copyValue(s, h, key, dst)
		if atomic.LoadUint32(&s.Seq) == seq {
			return out, ok, err
		}
	}
	s, err := t.lockStripe(ctx, t.stripeOf(h))
	if err != nil {
		return dst, false, err
	}
	defer s.Lock.unlock(t.me)
	return t.copyValue(s, h, key, dst)
}

func (t *table) copyValue(s *stripe, h uint64, key, dst []byte) ([]byte, bool, error) {
	var sl slot
	if err := t.find(&sl, s, h, key); err != nil || !sl.found {
		return dst, false, err
	}
	return append(dst, t.value(sl.bl)...), true, nil
}

// contains is getAppend without the copy.
func (t *table) contains(ctx context.Context, key []byte) (bool, error) {
	if err := t.checkKey(key); err != nil {
		return false, err
	}
	h := t.hash(key)
	s := t.stripe(t.stripeOf(h))
	for range readTries {
		seq := atomic.LoadUint32(&s.Seq)
		sl, err := t.locate(s, h, key)
		if atomic.LoadUint32(&s.Seq) == seq {
			return sl.found, err
		}
	}
	s, err := t.lockStripe(ctx, t.stripeOf(h))
	if err != nil {
		return false, err
	}
	defer s.Lock.unlock(t.me)
	sl, err := t.locate(s, h, key)
	return sl.found, err
}

// peek is getAppend's lock-free part alone, for callers that must not
// wait (String): consistent is false when every try met a writer.
func (t *table) peek(key, dst []byte) (val []byte, found, consistent bool) {
	h := t.hash(key)
	s := t.stripe(t.stripeOf(h))
	for range readTries {
		seq := atomic.LoadUint32(&s.Seq)
		out, ok, err := t.copyValue(s, h, key, dst)
		if atomic.LoadUint32(&s.Seq) == seq {
			return out, ok, err == nil
		}
	}
	return dst, false, false
}
