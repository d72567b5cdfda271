package table

import (
	"context"
	"fmt"
	"slices"
	"sync/atomic"
)

// Repair after a crash, and Reclaim.
//
// repairStripe runs in the process that took a stripe's lock over from a
// dead holder. The chains are consistent (the write protocol publishes with
// single stores), so repair only recounts the stripe's entries and bytes,
// checks its chains, and marks the table dirty: the dead writer may have
// leaked a block or an entry reservation, which the next Reclaim recovers.
//
// Reclaim holds every stripe lock (taken in index order, the one order
// every multi-stripe operation uses, so they cannot deadlock), so no
// allocation or free is in flight. It walks every chain, recounts, resets
// Live, and rebuilds the allocator from what the chains reach: the free
// lists are emptied, every gap between reachable blocks is cut into blocks
// of the largest classes that fit and freed, and the cursor drops to the
// end of the last reachable block. That recovers leaks and merges adjacent
// free blocks. A crash during Reclaim leaves blocks leaked, never a block
// both reachable and free: gaps are computed from reachable blocks only,
// and the free lists are emptied before they are refilled.

func (t *table) repairStripe(i uint64) error {
	s := t.stripe(i)
	var n, bytes uint64
	err := t.walkStripe(i, func(bl block) {
		n++
		bytes += t.classSize(bl.class)
	})
	if err != nil {
		return err
	}
	atomic.StoreUint64(&s.Count, n)
	atomic.StoreUint64(&s.Bytes, bytes)
	atomic.StoreUint32(u32(t.b, dirtyOff), 1)
	return nil
}

// walkStripe calls fn on every entry of stripe i's chains, checked.
func (t *table) walkStripe(i uint64, fn func(block)) error {
	limit := t.maxChain()
	for b := i; b < t.l.buckets; b += t.l.stripes {
		ref := t.bucket(b)
		for {
			idx := atomic.LoadUint32(ref)
			if idx == 0 {
				break
			}
			if limit--; limit < 0 {
				return fmt.Errorf("chains of stripe %d longer than the arena holds: %w", i, ErrCorrupt)
			}
			bl, err := t.readBlock(idx)
			if err != nil {
				return err
			}
			if bl.hash&(t.l.buckets-1) != b {
				return fmt.Errorf("entry block %d in bucket %d hashes elsewhere: %w", idx, b, ErrCorrupt)
			}
			fn(bl)
			ref = t.next(bl)
		}
	}
	return nil
}

// lockAll locks every stripe in index order. On error none is held.
func (t *table) lockAll(ctx context.Context) error {
	for i := range t.l.stripes {
		if _, err := t.lockStripe(ctx, i); err != nil {
			t.unlockFirst(i)
			return err
		}
	}
	return nil
}

func (t *table) unlockFirst(n uint64) {
	for i := range n {
		t.stripe(i).Lock.unlock(t.me)
	}
}

func (t *table) unlockAll() { t.unlockFirst(t.l.stripes) }

// frees sums the stripes' free counts.
func (t *table) frees() uint64 {
	var n uint64
	for i := range t.l.stripes {
		n += atomic.LoadUint64(&t.stripe(i).Frees)
	}
	return n
}

// reclaimMayHelp reports whether an ErrFull may be cured by Reclaim: a
// lock was taken over from the dead since the last one (leaks), or blocks
// were freed since (adjacent free blocks merge).
func (t *table) reclaimMayHelp() bool {
	return atomic.LoadUint32(u32(t.b, dirtyOff)) != 0 ||
		atomic.LoadUint64(u64(t.b, reclaimedFreesOff)) != t.frees()
}

type span struct{ off, size uint64 }

func (t *table) reclaim(ctx context.Context) error {
	if err := t.lockAll(ctx); err != nil {
		return err
	}
	defer t.unlockAll()
	return t.reclaimLocked()
}

func (t *table) reclaimLocked() error {
	var used []span
	var live uint64
	for i := range t.l.stripes {
		var n, bytes uint64
		err := t.walkStripe(i, func(bl block) {
			n++
			bytes += t.classSize(bl.class)
			used = append(used, span{bl.off, t.classSize(bl.class)})
		})
		if err != nil {
			return err
		}
		s := t.stripe(i)
		atomic.StoreUint64(&s.Count, n)
		atomic.StoreUint64(&s.Bytes, bytes)
		live += n
	}
	slices.SortFunc(used, func(a, b span) int { return cmpU64(a.off, b.off) })
	end := uint64(arenaStart)
	for _, u := range used {
		if u.off < end {
			return fmt.Errorf("entry blocks overlap at arena offset %d: %w", u.off, ErrCorrupt)
		}
		end = u.off + u.size
	}
	// Readers may be in any block: tell them; drop every process's cache.
	t.bumpAll()
	// Empty the free lists, then refill them with the gaps.
	for c := range uint32(len(t.l.classes)) {
		head := t.freeHead(c + 1)
		atomic.StoreUint64(head, (atomic.LoadUint64(head)>>32+1)<<32)
	}
	end = arenaStart
	for _, u := range used {
		t.freeGap(end, u.off)
		end = u.off + u.size
	}
	atomic.StoreUint64(u64(t.b, cursorOff), end)
	atomic.StoreUint64(u64(t.b, liveOff), live)
	atomic.StoreUint64(u64(t.b, reclaimedFreesOff), t.frees())
	atomic.StoreUint32(u32(t.b, dirtyOff), 0)
	return nil
}

// freeGap cuts [from, to) into blocks of the largest classes that fit,
// leaving no remainder under the smallest block, and frees them.
func (t *table) freeGap(from, to uint64) {
	for from < to {
		left := to - from
		c := len(t.l.classes)
		for ; c > 0; c-- {
			s := t.l.classes[c-1]
			if s <= left && (s == left || left-s >= minBlock) {
				break
			}
		}
		if c == 0 {
			return // unreachable: gaps are multiples of 16 of at least 32
		}
		*u32(t.arena, from+bClass) = uint32(c)
		t.free(uint32(from/blockUnit), uint32(c))
		from += t.l.classes[c-1]
	}
}

func cmpU64(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// clearLocked empties the table; every stripe lock is held. Order matters
// for a crash midway: unpublish every entry first (each bucket store is
// atomic), then empty the free lists, and only then rewind the cursor, so
// no block is ever both free and carvable twice.
func (t *table) clearLocked() {
	for b := range t.l.buckets {
		atomic.StoreUint32(t.bucket(b), 0)
	}
	t.bumpAll()
	for c := range uint32(len(t.l.classes)) {
		head := t.freeHead(c + 1)
		atomic.StoreUint64(head, (atomic.LoadUint64(head)>>32+1)<<32)
	}
	atomic.StoreUint64(u64(t.b, cursorOff), arenaStart)
	for i := range t.l.stripes {
		s := t.stripe(i)
		atomic.StoreUint64(&s.Count, 0)
		atomic.StoreUint64(&s.Bytes, 0)
	}
	atomic.StoreUint64(u64(t.b, liveOff), 0)
	atomic.StoreUint64(u64(t.b, reclaimedFreesOff), t.frees())
	atomic.StoreUint32(u32(t.b, dirtyOff), 0)
}

// bumpAll moves every stripe's Seq (optimistic readers retry) and the
// generation (cached blocks are dropped); every stripe lock is held.
func (t *table) bumpAll() {
	for i := range t.l.stripes {
		atomic.AddUint32(&t.stripe(i).Seq, 2)
	}
	atomic.AddUint64(u64(t.b, genOff), 1)
}
