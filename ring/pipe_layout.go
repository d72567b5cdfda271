package ring

import (
	"structs"
	"sync/atomic"
	"unsafe"

	"github.com/shmkit/shmkit/internal/owner"
)

// The layout of a Pipe object (pipeVersion 3):
//
//	offset  size              what                       written by
//	0       128               pipeHdr: config            creator once
//	128     4 × 128           locks: ring a's producer   the process using that side,
//	                          and consumer, ring b's     once per call (lock.go's word)
//	640     2 × 128           ends: holder counts        attach, Close, a dead
//	                                                     holder's healer
//	896     2 × holders × 32  holder tables, end 0's     attach, Close, Marshal
//	                          then end 1's               (never a hot path)
//	…       pad to 128        rings a, then b (duplex):  ringHdr + capacity bytes
//
// Ring a carries end 1's sends to end 0 (simplex: the only direction, end
// 1 writes, end 0 reads); ring b carries end 0's sends to end 1.
//
// The holder tables are the only words several processes write that sit
// closer than 128 bytes: an entry is written when a process attaches an
// end, closes it or hands it on, never per message, so sharing a line costs
// nothing that matters and keeps a 128-holder table at 4 KiB.
type pipeHdr struct {
	_        structs.HostLayout
	magic    uint32
	version  uint32
	duplex   uint32
	holders  uint32 // entries in each end's holder table
	capacity uint64 // data bytes of each ring
	_        [lineSize - 24]byte
	locks    [4]lockLine // a.prod, a.cons, b.prod, b.cons
	ends     [2]endLine
}

const pipeHdrSize = int(unsafe.Sizeof(pipeHdr{}))

// lockLine is the lock that serializes one side of one ring (see
// pipe_lock.go): an internal/owner robust lock word, alone on its line.
type lockLine struct {
	_    structs.HostLayout
	lock owner.Lock
	_    [lineSize - owner.LockSize]byte
}

// endLine counts one end's holders (see pipe_holders.go).
type endLine struct {
	_ structs.HostLayout
	// count: holder entries in use (holders and pending handles). Added to
	// before an entry is taken and taken from after it is freed, so that
	// it is never below the number of entries in use: 0 means no process
	// holds the end, for sure. A process killed between the two steps
	// leaves it too high, which the table scans of a waiting peer see
	// through.
	count atomic.Int64
	// deaths: holders found dead without having closed (healed), since
	// creation or the last ForgetDeadPeers. With count 0 it tells a peer
	// ErrPeerDead from a clean end.
	deaths atomic.Uint64
	_      [lineSize - 16]byte
}

// holderEntry is one process's hold on an end, or a handle on its way to
// another process (pending). 32 bytes.
type holderEntry struct {
	_ structs.HostLayout
	// id: the holder's internal/owner ID with the flags below; 0 free.
	id atomic.Uint64
	// token: a pending entry's token, which the handle carries.
	token atomic.Uint64
	// expires: a pending entry's deadline (unix ns) after which it lapses;
	// 0 never.
	expires atomic.Int64
	_       uint64
}

const holderSize = int(unsafe.Sizeof(holderEntry{}))

// Flags of holderEntry.id, in the bits an owner ID leaves free (see
// internal/owner's id.go).
const (
	// pendingFlag: a handle made by MarshalBinary (or Dial) that no process
	// has attached yet; the ID is whoever answers for it: the marshaller,
	// or the listener that will accept it.
	pendingFlag = 1 << 24
	// claimingFlag: the entry is being filled (token, expires) before it
	// becomes pending; claimers leave it alone.
	claimingFlag = 1 << 25
	holderFlags  = pendingFlag | claimingFlag
)

const (
	defaultHolders = 128
	maxHolders     = 1 << 12
)

// pipeGeometry is where a pipe's parts lie; everything derives from the
// three header fields, validated before use.
type pipeGeometry struct {
	holders, rings, capacity int
}

// tablesOff is where end i's holder table starts.
func (g pipeGeometry) tableOff(end int) int { return pipeHdrSize + end*g.holders*holderSize }

// ringsOff is where ring a starts: after both tables, on a line boundary.
func (g pipeGeometry) ringsOff() int {
	n := pipeHdrSize + 2*g.holders*holderSize
	return (n + lineSize - 1) &^ (lineSize - 1)
}

// ringOff is where ring i (0: a, 1: b) starts.
func (g pipeGeometry) ringOff(i int) int { return g.ringsOff() + i*(ringHdrSize+g.capacity) }

// size is the whole object.
func (g pipeGeometry) size() int { return g.ringOff(g.rings) }

// initPipe lays out a new pipe in b (g.size() bytes, zeroed).
func initPipe(b []byte, g pipeGeometry, mode Mode) {
	h := layoutAt[pipeHdr](b, 0)
	h.magic, h.version, h.capacity = pipeMagic, pipeVersion, uint64(g.capacity)
	h.holders = uint32(g.holders)
	if g.rings == 2 {
		h.duplex = 1
	}
	for i := range g.rings {
		initRing(b[g.ringOff(i):], g.capacity, mode)
	}
}

func asPipeHdr(b []byte) *pipeHdr { return layoutAt[pipeHdr](b, 0) }

// holderAt views entry i of a table that starts at off.
func holderAt(b []byte, off, i int) *holderEntry {
	return layoutAt[holderEntry](b, off+i*holderSize)
}
