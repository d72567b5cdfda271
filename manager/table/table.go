package table

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/cespare/xxhash/v2"
	"github.com/shmkit/shmkit/internal/owner"
	"github.com/shmkit/shmkit/shm"
)

// table is one process's view of a hash table in shared memory: the
// object, and its layout computed in private memory.
//
// Keys hash with xxhash64; bucket = hash mod Buckets; the bucket's stripe
// = bucket mod Stripes, so a chain never leaves its stripe. Each bucket
// heads a singly linked chain of entry blocks (alloc.go).
//
// Write protocol (every mutation, under the stripe's lock):
//
//  1. Allocate a new block and write it whole: header, key, value, and
//     Next (the successor of the entry it replaces, or 0 at a chain's end).
//  2. Publish it with one atomic store of its index into the link that
//     named the old entry (a bucket head or a predecessor's Next), or into
//     the chain's final 0 for a new key.
//  3. Only then free the old block, and update the stripe's counts.
//
// A delete is one atomic store that unlinks the entry, then its free.
//
// So a reader — and a process that takes the lock over from a writer
// killed at any instant — sees each key with its old value or its new one,
// never a half-written entry. What a killed writer can leave behind is a
// leaked block and stale counts: the taker recounts the stripe
// (repairStripe) and marks the table dirty, and the next Reclaim
// recovers the leak.
type table struct {
	obj   *shm.Object
	b     []byte // the object
	arena []byte
	l     layout
	me    uint64
	sp    owner.Spinner // this handle's spin budget for stripe locks
	// cache holds, per stripe, one block this process freed, reused by
	// its next allocation of the same class in that stripe (alloc.go).
	// Only the holder of the stripe's lock touches its entry.
	cache []cached
	// popNext is where this handle's next PopItem starts (pop.go).
	popNext atomic.Uint64
}

// block is a checked view of an entry's header.
type block struct {
	idx          uint32
	off          uint64
	class        uint32
	hash         uint64
	keyLen, vLen uint64
}

func newTable(o *shm.Object) (*table, error) {
	b := o.Bytes()
	p, err := readParams(b)
	if err != nil {
		return nil, fmt.Errorf("attaching %s: %w", o, err)
	}
	l, err := computeLayout(p)
	if err != nil {
		return nil, fmt.Errorf("attaching %s: %v: %w", o, err, ErrCorrupt)
	}
	if l.size > uint64(len(b)) || o.Offset()%shm.CacheLinePad != 0 {
		return nil, fmt.Errorf("attaching %s: layout needs %d bytes: %w", o, l.size, ErrCorrupt)
	}
	me, err := owner.SelfID()
	if err != nil {
		return nil, err
	}
	return &table{obj: o, b: b, arena: b[l.arenaOff:l.size:l.size], l: l, me: me, cache: make([]cached, l.stripes)}, nil
}

func (t *table) stripe(i uint64) *stripe {
	return layoutAt[stripe](t.b, t.l.stripeOff(i))
}

func (t *table) bucket(i uint64) *uint32 { return u32(t.b, t.l.bucketsOff+4*i) }

// readBlock checks and reads the header of block idx.
func (t *table) readBlock(idx uint32) (block, error) {
	var bl block
	err := t.loadBlock(idx, &bl)
	return bl, err
}

// loadBlock is readBlock into *bl, for the hot paths: a block returned by
// value is copied field by field through the stack on every step of a
// chain walk (a third of a Get's time, measured).
func (t *table) loadBlock(idx uint32, bl *block) error {
	off := uint64(idx) * blockUnit
	if off < arenaStart || off+minBlock > t.l.arenaSize {
		return fmt.Errorf("block index %d outside the arena: %w", idx, ErrCorrupt)
	}
	a := t.arena
	_ = a[off+blockHeader-1] // one bounds check for the header's words
	class := *u32(a, off+bClass)
	bl.idx, bl.off, bl.class = idx, off, class
	bl.hash = *u64(a, off+bHash)
	bl.keyLen = uint64(*u32(a, off+bKeyLen))
	bl.vLen = uint64(*u32(a, off+bValLen))
	if class == 0 || class > uint32(len(t.l.classes)) {
		return t.badBlock(bl)
	}
	size := t.l.classes[class-1]
	if off+size > t.l.arenaSize || bl.keyLen > t.l.maxKey || bl.vLen > t.l.maxValue ||
		blockHeader+bl.keyLen+bl.vLen > size {
		return t.badBlock(bl)
	}
	return nil
}

func (t *table) badBlock(bl *block) error {
	return fmt.Errorf("entry block %d (class %d, key %d, value %d bytes): %w",
		bl.idx, bl.class, bl.keyLen, bl.vLen, ErrCorrupt)
}

func (t *table) key(bl block) []byte {
	s := bl.off + blockHeader
	return t.arena[s : s+bl.keyLen]
}

func (t *table) value(bl block) []byte {
	s := bl.off + blockHeader + bl.keyLen
	return t.arena[s : s+bl.vLen : s+bl.vLen]
}

func (t *table) next(bl block) *uint32 { return u32(t.arena, bl.off+bNext) }

// maxChain bounds a chain walk, so a cycle in a corrupt table ends.
func (t *table) maxChain() int { return int(t.l.arenaSize / minBlock) }

// slot is a key's place in a locked stripe: the entry when found, and the
// link that names it (or the chain's final link when not found).
type slot struct {
	t     *table
	s     *stripe
	si    uint64
	hash  uint64
	key   []byte
	ref   *uint32
	found bool
	bl    block
}

// locate finds key in its chain. The caller holds the stripe's lock.
func (t *table) locate(s *stripe, h uint64, key []byte) (slot, error) {
	var sl slot
	err := t.find(&sl, s, h, key)
	return sl, err
}

// find is locate into *sl, for the hot paths (see loadBlock). Without the
// lock (read.go) it is safe too: every link it follows is checked.
func (t *table) find(sl *slot, s *stripe, h uint64, key []byte) error {
	sl.t, sl.s, sl.si, sl.hash, sl.key = t, s, t.stripeOf(h), h, key
	sl.ref, sl.found = t.bucket(h&(t.l.buckets-1)), false
	for range t.maxChain() {
		idx := atomic.LoadUint32(sl.ref)
		if idx == 0 {
			return nil
		}
		bl := &sl.bl
		if err := t.loadBlock(idx, bl); err != nil {
			return err
		}
		if bl.hash == h && bl.keyLen == uint64(len(key)) && string(t.key(*bl)) == string(key) {
			sl.found = true
			return nil
		}
		sl.ref = t.next(*bl)
	}
	return fmt.Errorf("bucket chain longer than the arena holds: %w", ErrCorrupt)
}

// value returns the found entry's value, a view into shared memory valid
// while the stripe is locked.
func (sl *slot) value() []byte { return sl.t.value(sl.bl) }

// put publishes key = val in the slot (write protocol steps 1 to 3).
// ErrFull leaves everything as it was.
func (sl *slot) put(val []byte) error {
	t := sl.t
	if uint64(len(val)) > t.l.maxValue {
		return fmt.Errorf("value of %d bytes, table maximum %d: %w", len(val), t.l.maxValue, ErrTooLarge)
	}
	if !sl.found && !t.reserve() {
		return ErrFull
	}
	c := t.classFor(blockSizeFor(uint64(len(sl.key)), uint64(len(val))))
	idx, err := t.allocClass(c, sl.si)
	if err != nil {
		if !sl.found {
			t.unreserve()
		}
		return err
	}
	t.writeBlock(idx, sl.hash, sl.key, val)
	sl.publish(idx, c)
	// The slot names the new entry now, as this process wrote it.
	sl.found = true
	sl.bl = block{idx: idx, off: uint64(idx) * blockUnit, class: c, hash: sl.hash,
		keyLen: uint64(len(sl.key)), vLen: uint64(len(val))}
	return nil
}

// writeBlock fills the header (but Next), key and value of block idx,
// not yet published: step 1.
func (t *table) writeBlock(idx uint32, h uint64, key, val []byte) {
	a := t.arena
	off := uint64(idx) * blockUnit
	*u64(a, off+bHash) = h
	*u32(a, off+bKeyLen) = uint32(len(key))
	*u32(a, off+bValLen) = uint32(len(val))
	copy(a[off+blockHeader:], key)
	copy(a[off+blockHeader+uint64(len(key)):], val)
}

// publish links the written block idx (of class c) in place of the slot's
// entry or at its chain's end (step 2), then frees the old block and
// counts (step 3). The entry reservation of a new key is already taken.
func (sl *slot) publish(idx uint32, c uint32) {
	t := sl.t
	var next uint32
	if sl.found {
		next = atomic.LoadUint32(t.next(sl.bl))
	}
	*u32(t.arena, uint64(idx)*blockUnit+bNext) = next // not yet reachable: a plain store
	atomic.StoreUint32(sl.ref, idx)                   // publish: pairs with the loads in locate
	if sl.found {
		t.retire(sl.s, sl.si, sl.bl)
		sl.s.addBytes(t.classSize(c) - t.classSize(sl.bl.class))
	} else {
		sl.s.addCount(1)
		sl.s.addBytes(t.classSize(c))
	}
}

// del unlinks the found entry with one store, then frees it.
func (sl *slot) del() {
	t := sl.t
	atomic.StoreUint32(sl.ref, atomic.LoadUint32(t.next(sl.bl)))
	t.retire(sl.s, sl.si, sl.bl)
	sl.s.addCount(^uint64(0))
	sl.s.addBytes(-t.classSize(sl.bl.class))
	t.unreserve()
	sl.found = false
}

// retire frees an entry's block after it was unlinked. The stripe's Seq
// moves first, so an optimistic reader that might still be reading the
// block sees the change and retries (read.go).
func (t *table) retire(s *stripe, si uint64, bl block) {
	atomic.AddUint32(&s.Seq, 2)
	s.addFrees(1)
	t.freeCached(si, bl.idx, bl.class)
}

// reserve takes one unit of the entry capacity; false when none is left.
func (t *table) reserve() bool {
	live := u64(t.b, liveOff)
	for {
		n := atomic.LoadUint64(live)
		if n >= t.l.entries {
			return false
		}
		if atomic.CompareAndSwapUint64(live, n, n+1) {
			return true
		}
	}
}

func (t *table) unreserve() { atomic.AddUint64(u64(t.b, liveOff), ^uint64(0)) }

func (t *table) hash(key []byte) uint64 { return xxhash.Sum64(key) }

func (t *table) stripeOf(h uint64) uint64 { return h & (t.l.stripes - 1) }

// lockStripe locks stripe i, repairing it first if its last holder died.
func (t *table) lockStripe(ctx context.Context, i uint64) (*stripe, error) {
	s := t.stripe(i)
	recovered, err := s.Lock.lock(ctx, t.me, &t.sp)
	if err != nil {
		return nil, err
	}
	if recovered {
		err := t.repairStripe(i)
		if err == nil {
			err = s.Lock.markRepaired(t.me)
		}
		if err != nil {
			s.Lock.abandon(t.me)
			return nil, err
		}
	}
	return s, nil
}

// with runs fn on key's slot with its stripe locked. An ErrFull from fn
// that a Reclaim may cure (a crash leaked space, or frees left blocks of
// the wrong size) runs one Reclaim, with no lock held, and tries once more.
// (fn's slot escapes to the heap: the hot operations, Get and Set, are
// written out without a closure.)
func (t *table) with(ctx context.Context, key []byte, fn func(sl *slot) error) error {
	if err := t.checkKey(key); err != nil {
		return err
	}
	h := t.hash(key)
	for try := 0; ; try++ {
		err := t.withHash(ctx, h, key, fn)
		if retry, err := t.afterFull(ctx, err, try); !retry {
			return err
		}
	}
}

func (t *table) checkKey(key []byte) error {
	if uint64(len(key)) > t.l.maxKey {
		return fmt.Errorf("key of %d bytes, table maximum %d: %w", len(key), t.l.maxKey, ErrTooLarge)
	}
	return nil
}

// afterFull decides what an operation's result err becomes: an ErrFull
// on the first try that Reclaim may cure runs Reclaim and asks for a retry.
func (t *table) afterFull(ctx context.Context, err error, try int) (retry bool, _ error) {
	if err != ErrFull {
		return false, err
	}
	if try > 0 || !t.reclaimMayHelp() {
		return false, fmt.Errorf("%s: %w", t.obj.Name(), ErrFull)
	}
	if err := t.reclaim(ctx); err != nil {
		return false, err
	}
	return true, nil
}

func (t *table) withHash(ctx context.Context, h uint64, key []byte, fn func(sl *slot) error) error {
	s, err := t.lockStripe(ctx, t.stripeOf(h))
	if err != nil {
		return err
	}
	defer s.Lock.unlock(t.me) // also when fn panics: the table is consistent between steps
	sl, err := t.locate(s, h, key)
	if err != nil {
		return err
	}
	return fn(&sl)
}

// set is Set's locked part, without a closure.
func (t *table) set(ctx context.Context, h uint64, key, val []byte) error {
	s, err := t.lockStripe(ctx, t.stripeOf(h))
	if err != nil {
		return err
	}
	defer s.Lock.unlock(t.me)
	// Take the bucket's cache line for writing at once: the publish below
	// most often stores into this very word (a chain is mostly its head),
	// and a plain load would fetch the line shared from the core of the
	// process that wrote last, then fetch it again to own it. Adding 0
	// changes nothing: only the holder of the stripe's lock writes its
	// buckets.
	atomic.AddUint32(t.bucket(h&(t.l.buckets-1)), 0)
	var sl slot
	if err := t.find(&sl, s, h, key); err != nil {
		return err
	}
	return sl.put(val)
}

// The stripe's counters are written only by the holder of its lock, so a
// load and a store suffice (an atomic add is a locked instruction, 10–20 ns
// each on the machines shmkit targets); readers without the lock (Len,
// Stats, describers) load them atomically, and aligned 64-bit stores are
// never torn. The race detector cannot see the shared lock that orders
// these, hence go:norace.

//go:norace
func (s *stripe) addCount(d uint64) { s.Count += d }

//go:norace
func (s *stripe) addBytes(d uint64) { s.Bytes += d }

//go:norace
func (s *stripe) addFrees(d uint64) { s.Frees += d }
