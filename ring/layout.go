package ring

import (
	"structs"
	"sync/atomic"
	"unsafe"

	"github.com/shmkit/shmkit/shm"
)

// lineSize spaces words written by different processes (two cache lines).
const lineSize = shm.CacheLinePad

// Layout versions, stored in each object's directory entry and header.
// Changing a layout bumps its version.
const (
	ringVersion  = 3 // 3: each side's line holds its owner ID
	queueVersion = 5 // 3: the header holds the capacity asked for (limit); 4: and the element type's signature; 5: and a listener's owner and connection capacity
	pipeVersion  = 3 // 2: its rings are version 3; 3: locks, holder counts and tables per end
)

// Header magics, checked on attach (a second guard beside the kind tag).
const (
	ringMagic  = 0x474e5253 // "SRNG"
	queueMagic = 0x55514d4d // "MMQU"
	pipeMagic  = 0x45504950 // "PIPE"
)

// ringHdr is the header of an SPSC ring. The data area (capacity bytes, a
// power of two) follows it at ringHdrSize.
//
//	offset  line              written by
//	0       config, closed    creator once; Close once
//	128     prodPos: tail     the producer (the consumer polls it)
//	256     consPos: head     the consumer (the producer reads it when full)
//	384     dataWait          consumer sleeps here, producer wakes
//	512     spaceWait         producer sleeps here, consumer wakes
//	640     prod: counters,   the producer only (read by Stats; its owner
//	        owner             word by a consumer that waits)
//	768     cons: counters,   the consumer only (read by Stats; its owner
//	        owner             word by a producer that waits)
//
// Counters sit apart from the positions: a counter store on the line the
// other side polls would cost a second coherence miss per message. The
// owner words sit with the counters for the same reason: each is stored
// once, by the process that starts using its side, and read by the other
// side only while it waits (see spsc_peer.go).
type ringHdr struct {
	_         structs.HostLayout
	magic     uint32
	version   uint32
	capacity  uint64 // bytes in the data area; a power of two
	mode      uint32 // default Mode
	closed    atomic.Uint32
	_         [lineSize - 24]byte
	prodPos   posLine
	consPos   posLine
	dataWait  waitLine
	spaceWait waitLine
	prod      sideLine
	cons      sideLine
}

const ringHdrSize = int(unsafe.Sizeof(ringHdr{}))

// posLine is a position alone on its 128 bytes: the tail (bytes ever
// committed) or the head (bytes ever released).
type posLine struct {
	_   structs.HostLayout
	pos atomic.Uint64
	_   [lineSize - 8]byte
}

// sideLine is one side's counters, on its own 128 bytes, written only by
// that side.
type sideLine struct {
	_      structs.HostLayout
	msgs   atomic.Uint64 // messages in (producer) or out (consumer)
	bytes  atomic.Uint64 // payload bytes in or out
	waits  atomic.Uint64 // waits for room (producer) or data (consumer)
	sleeps atomic.Uint64 // futex sleeps
	wakes  atomic.Uint64 // futex wakes issued to the other side
	// owner is the internal/owner ID of the process that last started
	// using this side (its first Reserve or Peek), 0 until one did.
	owner atomic.Uint64
	_     [lineSize - 48]byte
}

// Record header in the SPSC data area: 8 bytes, little-endian, 8-aligned,
// read and published as one word (see producer.commit).
//
//	0  uint32  payload length
//	4  uint32  flags: recLive on every published header (so it is never
//	           0, the "not yet" value), recPad for a padding record
//	           filling the ring's end
const (
	recHdr  = 8
	recPad  = 1
	recLive = 1 << 31
)

// recSize is the space a record of n payload bytes takes.
func recSize(n uint64) uint64 { return recHdr + (n+7)&^7 }

// The casts from mapped bytes to layout structs and atomic words, in one
// place (with the pins in layout_test.go). Callers have validated the
// geometry they index with (ringFrom, mpmcFrom, pipeFrom read it once from
// shared memory, check it and keep it privately), so off is in bounds and
// 8-aligned; layoutAt checks the bounds once more (creation and attach
// paths), the hot-path word views do not.

// layoutAt views b[off:] as a T.
func layoutAt[T any](b []byte, off int) *T {
	var zero T
	_ = b[off+int(unsafe.Sizeof(zero))-1]
	return (*T)(unsafe.Pointer(&b[off]))
}

// wordAt views the 8 bytes at b[off] as an atomic word (hot paths: a ring
// record header, an MPMC slot's sequence word).
func wordAt(b []byte, off uint64) *atomic.Uint64 {
	return (*atomic.Uint64)(unsafe.Pointer(&b[off]))
}

// asRingHdr views b (at least ringHdrSize bytes, 8-aligned) as a header.
func asRingHdr(b []byte) *ringHdr { return layoutAt[ringHdr](b, 0) }
