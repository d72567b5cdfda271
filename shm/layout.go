package shm

import (
	"structs"
	"unsafe"

	"github.com/cespare/xxhash/v2"

	"github.com/shmkit/shmkit/internal/owner"
)

// Layout of a segment. All integers are little-endian (shmkit runs on
// little-endian Linux hosts; the magic would not match on a big-endian one).
//
//	offset  size  field
//	0       8     magic "SHMKITSG"
//	8       4     layout version
//	12      4     data offset: where the object area begins
//	16      8     segment size in bytes (the whole mapping)
//	24      8     segment id (random, names the segment in handles)
//	32      4     creator pid
//	36      4     directory capacity (entries)
//	40      8     creator start time (clock ticks since boot)
//	48      8     creation time (Unix ns)
//	56      8     xxhash64 of bytes 0..56
//	128     16    allocator lock (a robust owner.Lock: holder's id, sleepers)
//	144     4     published directory entries
//	152     8     allocation cursor (next free byte offset)
//	256     64×N  directory entries
//	data offset…  objects (page-aligned)
//
// Bytes 0..64 never change after creation and are covered by the checksum.
// The mutable words start at 128, on their own pair of cache lines.
const (
	Magic         = "SHMKITSG"
	LayoutVersion = 2 // 2: the allocator lock became a robust owner.Lock
	// CacheLinePad is the distance between words written by different
	// processes: two 64-byte lines, since adjacent-line prefetch on x86
	// makes one line not enough. The same on every architecture.
	CacheLinePad  = 128
	headerSize    = 256
	entrySize     = 64
	MaxObjectName = 40
	// DefaultObjects is the directory capacity when Options.Objects is 0.
	DefaultObjects = 64
	// MaxObjects bounds the directory capacity.
	MaxObjects = 1 << 16
	// MaxAlign bounds the alignment an object may ask for.
	MaxAlign = 4096
	// MaxSize bounds a segment's size (1 TiB).
	MaxSize = 1 << 40
)

type header struct {
	_            structs.HostLayout
	Magic        [8]byte
	Version      uint32
	DataOff      uint32
	Size         uint64
	ID           uint64
	CreatorPID   uint32
	DirCap       uint32
	CreatorStart uint64
	Created      int64
	Checksum     uint64
	_            [64]byte
	AllocLock    owner.Lock // its own protocol (internal/owner)
	Count        uint32     // atomic: entries published
	_            uint32
	Cursor       uint64 // atomic
	_            [96]byte
}

type entry struct {
	_       structs.HostLayout
	Name    [MaxObjectName]byte
	Kind    uint32
	Version uint32
	Offset  uint64
	Size    uint64
}

const checksumEnd = unsafe.Offsetof(header{}.Checksum)

func headerChecksum(b []byte) uint64 { return xxhash.Sum64(b[:checksumEnd]) }

// hdr and ent are the only places that turn mapped bytes into structs.
// Callers guarantee len(b) >= headerSize and, for ent, that the entry lies
// inside the directory, which itself lies inside b: see Segment.entry.
func hdr(b []byte) *header { return (*header)(unsafe.Pointer(&b[0])) }

func ent(b []byte, i int) *entry {
	return (*entry)(unsafe.Pointer(&b[headerSize+i*entrySize]))
}

func (e *entry) name() string {
	n := 0
	for n < len(e.Name) && e.Name[n] != 0 {
		n++
	}
	return string(e.Name[:n])
}

func alignUp(n, a uint64) uint64 { return (n + a - 1) &^ (a - 1) }

// dataOffset is where objects start for a directory of dirCap entries: on
// a page boundary, so an object aligned to up to MaxAlign as the first in
// the segment costs no padding.
func dataOffset(dirCap int) uint64 {
	return alignUp(headerSize+uint64(dirCap)*entrySize, MaxAlign)
}
