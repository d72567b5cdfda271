package ring

import (
	"structs"
	"sync/atomic"
	"unsafe"
)

// queueHdr is the header of an MPMC queue. The participant table
// (parts × 128 bytes) follows it, then the slots (slots × slotSize bytes).
//
//	offset  line        written by
//	0       config      creator once; Close once (limit: the capacity
//	                    asked for, at most slots; slots is a power of two)
//	128     enq         producers (CAS)
//	256     deq         consumers (CAS)
//	384     dataWait    consumers sleep, producers wake
//	512     spaceWait   producers sleep, consumers wake
//	640     unfinished  JoinableQueue: Put and TaskDone
//	768     joinWait    Join sleeps, TaskDone wakes
type queueHdr struct {
	_          structs.HostLayout
	magic      uint32
	version    uint32
	slots      uint64 // a power of two
	slotSize   uint64 // a multiple of 8, header included
	parts      uint32 // participant table entries
	mode       uint32
	flags      uint32 // flagJoinable
	closed     atomic.Uint32
	limit      uint64        // slots a Put may fill: Options.Capacity, <= slots
	sig        uint64        // a typed queue's element type signature (typesig.go); 0 untyped
	owner      atomic.Uint64 // a listener's backlog: the listening process's owner ID; 0 none
	connCap    uint64        // a listener's backlog: each connection's ring capacity
	_          [lineSize - 72]byte
	enq        atomic.Uint64
	_          [lineSize - 8]byte
	deq        atomic.Uint64
	_          [lineSize - 8]byte
	dataWait   waitLine
	spaceWait  waitLine
	unfinished atomic.Int64
	_          [lineSize - 8]byte
	joinWait   waitLine
}

const (
	queueHdrSize = int(unsafe.Sizeof(queueHdr{}))
	flagJoinable = 1
	flagListener = 2 // the backlog of a Listener (listener.go)
)

// Bits of queueHdr.closed, each set once and never cleared: Close sets
// closedBit; Shutdown sets shutBit too, and immBit when immediate.
const (
	closedBit = 1 << iota
	shutBit
	immBit
)

// partEntry is one participant: a process's claim on a run of positions
// while it puts or gets, and its counters. Only the owner writes it, except
// to take it over when the owner is dead. The owner is an internal/owner
// ID (pid and start time in one word, claimed by one CAS, so no scanner
// ever sees a pid paired with another process's start time).
type partEntry struct {
	_  structs.HostLayout
	id atomic.Uint64 // owner ID; 0 when free
	_  uint64
	// Intents: the first position and span of the slots this participant
	// is claiming or holds, noPos when none. Written before the CAS on
	// enq/deq that claims them, cleared after commit/release.
	pPos, pSpan atomic.Uint64
	cPos, cSpan atomic.Uint64
	// Counters.
	in, out             atomic.Uint64
	bytesIn, bytesOut   atomic.Uint64
	fullWaits, emptyWts atomic.Uint64
	sleeps, wakes       atomic.Uint64
	skipped             atomic.Uint64
	_                   [lineSize - 120]byte
}

const partSize = int(unsafe.Sizeof(partEntry{}))

const noPos = ^uint64(0)

// Slot header, 16 bytes at the start of each slot; the payload follows.
//
//	0   uint64  seq: lap state of the slot for position p (Vyukov):
//	            p free for a producer, p+1 committed, p+slots released
//	            (free for position p+slots); rescueBit|p while a rescuer
//	            writes a tombstone.
//	8   uint32  message length (first slot of a message), tombLen for a
//	            tombstone a rescuer wrote in place of a dead producer's
//	12  uint32  span: slots the message takes (first slot)
const (
	slotHdr   = 16
	tombLen   = ^uint32(0)
	rescueBit = uint64(1) << 63
)

func asQueueHdr(b []byte) *queueHdr { return layoutAt[queueHdr](b, 0) }
