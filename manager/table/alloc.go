package table

import (
	"fmt"
	"sort"
	"sync/atomic"
)

// The arena allocator: blocks of size classes, carved from a bump cursor and
// reused through one lock-free free list per class.
//
// A block is 16-byte aligned and named by its index (arena offset / 16;
// index 0 is never a block, so 0 means "none"). Its header:
//
//	offset  size  field
//	0       4     Next: next entry of the bucket chain, or next free block
//	4       4     Class: size class (1-based), written once when carved
//	8       8     Hash: xxhash64 of the key
//	16      4     KeyLen
//	20      4     ValLen
//	24      …     key bytes, then value bytes
//
// Size classes grow by steps of 1.5× and 4/3× (32, 48, 64, 96, 128, 192…)
// up to the largest entry the table admits, so an entry wastes under a
// third of its block. Deleted and replaced entries go back to their class's
// free list and are reused by entries of the same class; blocks are not
// split or merged while the table runs (Reclaim, and Clear, merge adjacent
// free blocks: reclaim.go).
//
// Free-list heads pack a 32-bit tag with the index of the top block
// (tag<<32 | index); every push and pop bumps the tag, so a pop whose CAS
// succeeds saw no push or pop in between (no ABA). A pop reads the top
// block's Next before its CAS: if another process took the block
// meanwhile that read may be garbage, and the CAS fails.
//
// Every allocation and free happens under some stripe lock (table.go), and
// Reclaim and Clear hold all of them, so they run with no allocator in
// flight. A process killed between taking a block and publishing it (or
// between unlinking one and freeing it) leaks that block until the next
// Reclaim, which rebuilds the free lists from what the bucket chains
// reach: a crash never corrupts the allocator, it can only leak.
const (
	blockUnit   = 16
	blockHeader = 24
	minBlock    = 32
	// arenaStart is the first carved byte: index 0 stays unused.
	arenaStart = 32

	bNext   = 0
	bClass  = 4
	bHash   = 8
	bKeyLen = 16
	bValLen = 20
)

func blockSizeFor(k, v uint64) uint64 {
	return max(alignUp(blockHeader+k+v, blockUnit), minBlock)
}

// sizeClasses lists the block sizes up to largest (a multiple of 16).
func sizeClasses(largest uint64) []uint64 {
	var cs []uint64
	for s := uint64(minBlock); ; {
		if s >= largest {
			return append(cs, largest)
		}
		cs = append(cs, s)
		if s&(s-1) == 0 {
			s = s / 2 * 3 // 32 → 48, 64 → 96
		} else {
			s = s / 3 * 4 // 48 → 64, 96 → 128
		}
	}
}

// classFor returns the 1-based class of the smallest block holding size
// bytes; the caller has checked size ≤ the largest class.
func (t *table) classFor(size uint64) uint32 {
	return uint32(sort.Search(len(t.l.classes), func(i int) bool { return t.l.classes[i] >= size })) + 1
}

func (t *table) classSize(c uint32) uint64 { return t.l.classes[c-1] }

func (t *table) freeHead(c uint32) *uint64 { return u64(t.b, freeOff+uint64(c-1)*128) }

// cached is a block kept by this process for stripe reuse: replacing a
// value then costs no CAS on a free-list head that every process shares.
// Cached blocks are allocated as far as other processes know (leaked, if
// this process dies); Reclaim and Clear bump the table's generation, which
// drops every process's cache, since they rebuild the free lists from what
// the chains reach and may hand a cached block to someone else.
//
// Only the holder of the stripe's lock touches its entry: plain fields,
// in go:norace functions because the race detector cannot see that the
// lock (in shared memory) orders them.
type cached struct {
	gen   uint64
	idx   uint32
	class uint32
}

// freeCached frees block idx of class c from stripe si (whose lock the
// caller holds) into this process's cache for the stripe; a block cached
// there before goes onto the shared free list. The newest is kept: its
// class is the likeliest of the stripe's next write. (Keeping the older
// one instead, a cache holding a block of a class no longer written
// stayed stuck, and every write after it paid a pop and a push on the
// shared free lists.)
//
//go:norace
func (t *table) freeCached(si uint64, idx, c uint32) {
	ca := &t.cache[si]
	gen := atomic.LoadUint64(u64(t.b, genOff))
	old := *ca
	*ca = cached{gen: gen, idx: idx, class: c}
	if old.idx != 0 && old.gen == gen {
		t.free(old.idx, old.class)
	}
}

// takeCached returns this process's cached block of class c for stripe si
// (whose lock the caller holds), or 0.
//
//go:norace
func (t *table) takeCached(si uint64, c uint32) uint32 {
	ca := &t.cache[si]
	if ca.idx == 0 || ca.class != c {
		return 0
	}
	idx := ca.idx
	ca.idx = 0
	if ca.gen != atomic.LoadUint64(u64(t.b, genOff)) {
		return 0 // Reclaim or Clear gave it to the free lists
	}
	return idx
}

// alloc returns a block of the class for size for stripe si (whose lock
// the caller holds): the one this process cached for the stripe, else one
// from the class's free list, else one freshly carved; ErrFull when the
// arena has no room. The block's Class is set; the rest of its header is
// the caller's to write.
func (t *table) alloc(size uint64, si uint64) (uint32, error) {
	return t.allocClass(t.classFor(size), si)
}

// allocClass is alloc of a block of class c.
func (t *table) allocClass(c uint32, si uint64) (uint32, error) {
	if idx := t.takeCached(si, c); idx != 0 {
		return idx, nil
	}
	if idx, err := t.pop(c); idx != 0 || err != nil {
		return idx, err
	}
	return t.carve(c)
}

func (t *table) pop(c uint32) (uint32, error) {
	head := t.freeHead(c)
	for {
		h := atomic.LoadUint64(head)
		idx := uint32(h)
		if idx == 0 {
			return 0, nil
		}
		off, err := t.blockOff(idx)
		if err != nil {
			return 0, err
		}
		next := atomic.LoadUint32(u32(t.arena, off+bNext))
		if atomic.CompareAndSwapUint64(head, h, (h>>32+1)<<32|uint64(next)) {
			if got := *u32(t.arena, off+bClass); got != c || off+t.classSize(c) > t.l.arenaSize {
				return 0, fmt.Errorf("free block %d of class %d on the list of class %d: %w", idx, got, c, ErrCorrupt)
			}
			return idx, nil
		}
	}
}

func (t *table) carve(c uint32) (uint32, error) {
	cursor := u64(t.b, cursorOff)
	size := t.classSize(c)
	for {
		cur := atomic.LoadUint64(cursor)
		if cur < arenaStart || cur%blockUnit != 0 || cur > t.l.arenaSize {
			return 0, fmt.Errorf("arena cursor %d: %w", cur, ErrCorrupt)
		}
		if cur+size > t.l.arenaSize {
			return 0, ErrFull
		}
		if atomic.CompareAndSwapUint64(cursor, cur, cur+size) {
			*u32(t.arena, cur+bClass) = c
			return uint32(cur / blockUnit), nil
		}
	}
}

// free pushes block idx (checked by the caller) onto its class's list.
func (t *table) free(idx uint32, c uint32) {
	head := t.freeHead(c)
	off := uint64(idx) * blockUnit
	for {
		h := atomic.LoadUint64(head)
		atomic.StoreUint32(u32(t.arena, off+bNext), uint32(h))
		if atomic.CompareAndSwapUint64(head, h, (h>>32+1)<<32|uint64(idx)) {
			return
		}
	}
}

// blockOff checks that idx names a block whose header lies in the arena.
func (t *table) blockOff(idx uint32) (uint64, error) {
	off := uint64(idx) * blockUnit
	if off < arenaStart || off+minBlock > t.l.arenaSize {
		return 0, fmt.Errorf("block index %d outside the arena: %w", idx, ErrCorrupt)
	}
	return off, nil
}
