package table

import (
	"fmt"
	"math/bits"
	"structs"

	"github.com/shmkit/shmkit/shm"
)

// Layout of a table object (kind Dict, List or Namespace, version
// tableVersion). All integers little-endian.
//
//	offset      size        what
//	0           128         tableHeader: parameters, written once by init
//	128         128         Live: entries in the table (atomic)
//	256         128         Cursor: next uncarved arena byte; Dirty (atomic)
//	384         C×128       free-list heads, one per size class (atomic)
//	stripesOff  S×128       stripes: lock, entry count, bytes in use
//	bucketsOff  4×B         bucket heads: block index of the first entry
//	arenaOff    arenaSize   blocks (entries and free blocks), 16-byte units
//
// Only the parameters are read from the header, once, at attach; every
// offset is then computed in private memory from them (computeLayout), and
// the parameters are checked against the object's size, so a hostile
// header cannot point anywhere. Words written by different processes sit
// 128 bytes apart.
type tableHeader struct {
	_         structs.HostLayout
	Magic     uint32
	Version   uint32
	Stripes   uint32 // power of two
	Buckets   uint32 // power of two, a multiple of Stripes
	Entries   uint64 // entry capacity
	ArenaSize uint64 // bytes, a multiple of blockUnit
	MaxKey    uint32
	MaxValue  uint32
	_         [128 - 40]byte
}

// stripe is one lock's share of the table: the buckets b with
// b % Stripes == its index, and the counts of their entries.
type stripe struct {
	_     structs.HostLayout
	Lock  stripeLock
	Count uint64 // entries in the stripe's buckets; written under Lock
	Bytes uint64 // block bytes of those entries; written under Lock
	Frees uint64 // blocks freed by this stripe, ever (see reclaimMayHelp)
	Seq   uint32 // += 2 before every free of a block of the stripe (read.go)
	_     [shm.CacheLinePad - lockSize - 28]byte
}

const (
	tableMagic   = 0x54434453 // "SDCT"
	tableVersion = 3          // 2: stripe locks are owner.Lock words; 3: a List's journal, staged keys and 2×Len+2 entries

	liveOff           = 128
	cursorOff         = 256
	dirtyOff          = 264 // 1 after a lock was taken over from the dead, until Reclaim
	reclaimedFreesOff = 272 // sum of the stripes' Frees at the last Reclaim
	genOff            = 280 // bumped by Reclaim and Clear: drops blocks cached in processes
	freeOff           = 384
	maxClasses        = 64

	stripeSize = shm.CacheLinePad

	// Limits: block indexes are 32 bits of 16-byte units.
	maxArena    = 1 << 36
	maxEntries  = 1 << 30
	maxStripes  = 1 << 12
	maxKeyLimit = 1 << 16
	maxValLimit = 1 << 30
)

// params are a table's creation parameters, validated.
type params struct {
	stripes, buckets uint64
	entries          uint64
	arenaSize        uint64
	maxKey, maxValue uint64
}

// layout is where everything lives, computed from params.
type layout struct {
	params
	stripesOff, bucketsOff, arenaOff, size uint64
	classes                                []uint64 // block size of class i+1
}

func (p params) check() error {
	switch {
	case p.stripes == 0 || p.stripes > maxStripes || bits.OnesCount64(p.stripes) != 1:
		return fmt.Errorf("stripes %d: not a power of two in [1, %d]", p.stripes, maxStripes)
	case p.buckets < p.stripes || p.buckets > 2*maxEntries || bits.OnesCount64(p.buckets) != 1:
		return fmt.Errorf("buckets %d: not a power of two in [stripes, %d]", p.buckets, 2*maxEntries)
	case p.entries == 0 || p.entries > maxEntries:
		return fmt.Errorf("entries %d: not in [1, %d]", p.entries, maxEntries)
	case p.maxKey == 0 || p.maxKey > maxKeyLimit:
		return fmt.Errorf("max key %d: not in [1, %d]", p.maxKey, maxKeyLimit)
	case p.maxValue > maxValLimit:
		return fmt.Errorf("max value %d: over %d", p.maxValue, maxValLimit)
	case p.arenaSize%blockUnit != 0 || p.arenaSize > maxArena:
		return fmt.Errorf("arena %d bytes: not a multiple of %d up to %d", p.arenaSize, blockUnit, maxArena)
	case p.arenaSize < arenaStart+blockSizeFor(p.maxKey, p.maxValue):
		return fmt.Errorf("arena %d bytes: no room for one entry of the maximum size", p.arenaSize)
	}
	return nil
}

func computeLayout(p params) (layout, error) {
	if err := p.check(); err != nil {
		return layout{}, err
	}
	l := layout{params: p}
	l.classes = sizeClasses(blockSizeFor(p.maxKey, p.maxValue))
	if len(l.classes) > maxClasses {
		return layout{}, fmt.Errorf("%d size classes: over %d", len(l.classes), maxClasses)
	}
	l.stripesOff = freeOff + uint64(len(l.classes))*shm.CacheLinePad
	l.bucketsOff = l.stripesOff + p.stripes*stripeSize
	l.arenaOff = alignUp(l.bucketsOff+4*p.buckets, shm.CacheLinePad)
	l.size = l.arenaOff + p.arenaSize
	return l, nil
}

func (l *layout) stripeOff(i uint64) uint64 { return l.stripesOff + i*stripeSize }

func alignUp(n, a uint64) uint64 { return (n + a - 1) &^ (a - 1) }

// readParams reads the parameters of the table header in b.
func readParams(b []byte) (params, error) {
	if len(b) < freeOff {
		return params{}, fmt.Errorf("table of %d bytes: too small: %w", len(b), ErrCorrupt)
	}
	h := layoutAt[tableHeader](b, 0)
	if h.Magic != tableMagic || h.Version != tableVersion {
		return params{}, fmt.Errorf("table header magic %#x version %d: %w", h.Magic, h.Version, ErrCorrupt)
	}
	return params{
		stripes: uint64(h.Stripes), buckets: uint64(h.Buckets),
		entries: h.Entries, arenaSize: h.ArenaSize,
		maxKey: uint64(h.MaxKey), maxValue: uint64(h.MaxValue),
	}, nil
}

// writeHeader formats a zeroed table in b (the init function of
// AllocObject: it runs before the object is published).
func (l *layout) writeHeader(b []byte) {
	h := layoutAt[tableHeader](b, 0)
	*h = tableHeader{
		Magic: tableMagic, Version: tableVersion,
		Stripes: uint32(l.stripes), Buckets: uint32(l.buckets),
		Entries: l.entries, ArenaSize: l.arenaSize,
		MaxKey: uint32(l.maxKey), MaxValue: uint32(l.maxValue),
	}
	*u64(b, cursorOff) = arenaStart
}
