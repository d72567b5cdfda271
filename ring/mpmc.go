package ring

import (
	"fmt"
	"sync/atomic"

	"github.com/shmkit/shmkit/shm"
)

// MPMC is a bounded multi-producer multi-consumer queue of byte messages in
// shared memory, safe for any number of goroutines in any number of
// processes.
//
// Design: Vyukov's bounded MPMC queue. Slots carry a sequence number that
// says, for a position p, whether the slot is free for p, committed for p
// or released for p+Cap. A producer claims positions with one CAS on the
// shared enqueue position, writes, and publishes with one store of the
// slot's sequence (the commit store); a consumer claims with a CAS on the
// dequeue position, reads, and frees with one store.
//
// Variable length: slots have a fixed size chosen at creation
// (Options.SlotSize, 16 bytes of header). A message longer than one slot's
// payload claims consecutive positions with the same single CAS (a span),
// so messages of any size up to the whole queue travel without a second
// protocol; a span's first slot is committed last, so consumers see all of
// it or nothing.
//
// Crash recovery, the part Vyukov's queue lacks: before its CAS, a
// participant writes the positions it claims (its intent) into its own
// entry of a participant table, which names its process by pid and start
// time. A consumer stuck on a claimed, uncommitted slot, or a producer
// stuck on a taken, unreleased one, looks the claim up after a few
// milliseconds: when no live participant holds it, it commits a tombstone
// in the dead producer's place (consumers skip it) or frees the dead
// consumer's slots. See the package doc for what each death costs.
type MPMC struct {
	obj      *shm.Object
	h        *queueHdr
	parts    []byte // participant table
	area     []byte // slots
	nslots   uint64
	mask     uint64
	limit    uint64 // slots a Put may fill (Options.Capacity), <= nslots
	slotSize uint64
	payload  uint64 // slotSize - slotHdr
	nparts   int
	mode     Mode
	local    *local
	own      *ownEntry // the entry this handle keeps (participants.go)
	spinP    spinner
	spinC    spinner
	lastFix  atomic.Int64 // unix ns of the last rescue scan by a Try call
	crowd    atomic.Int64 // crowded's verdict (bit 0) and when (unix ns << 1)
	errs     objErrors
}

// NewMPMC allocates a queue called name in seg.
func NewMPMC(seg *shm.Segment, name string, opts *Options) (*MPMC, error) {
	return newMPMC(seg, name, opts, 0, 0, nil)
}

// newMPMC allocates a queue with header flags and an element type
// signature (0: untyped); init, when not nil, fills more of the header
// before the queue is published.
func newMPMC(seg *shm.Segment, name string, opts *Options, flags uint32, sig uint64, init func(*queueHdr)) (*MPMC, error) {
	o := opts.orDefault()
	limit := o.Capacity
	if limit == 0 {
		limit = defaultSlots
	}
	// The slots are a power of two (positions index them with a mask);
	// limit bounds how many a Put may fill, so a queue holds what was
	// asked for, as Python's Queue(maxsize) does.
	nslots, err := pow2("queue capacity", limit, defaultSlots, 2, maxSlots)
	if err != nil {
		return nil, err
	}
	slotSize := o.SlotSize
	if slotSize == 0 {
		slotSize = defaultSlotSize
	}
	if slotSize < slotHdr+8 || slotSize%8 != 0 || slotSize > 1<<20 {
		return nil, fmt.Errorf("slot size %d: must be a multiple of 8 in %d..%d: %w", slotSize, slotHdr+8, 1<<20, errInvalid)
	}
	nparts := o.Participants
	if nparts == 0 {
		nparts = defaultParticipant
	}
	if nparts < 1 || nparts > maxParticipants {
		return nil, fmt.Errorf("participants %d: must be 1..%d: %w", nparts, maxParticipants, errInvalid)
	}
	size := queueHdrSize + nparts*partSize + nslots*slotSize
	obj, err := seg.AllocObject(name, shm.KindQueue, queueVersion, size, lineSize, func(b []byte) {
		h := layoutAt[queueHdr](b, 0)
		h.magic, h.version = queueMagic, queueVersion
		h.slots, h.slotSize, h.parts, h.limit = uint64(nslots), uint64(slotSize), uint32(nparts), uint64(limit)
		h.mode, h.flags, h.sig = uint32(o.Mode), flags, sig
		if init != nil {
			init(h)
		}
		area := b[queueHdrSize+nparts*partSize:]
		for i := range nslots {
			// Slot i is free for position i.
			wordAt(area, uint64(i*slotSize)).Store(uint64(i))
		}
		for i := range nparts {
			e := layoutAt[partEntry](b, queueHdrSize+i*partSize)
			e.pPos.Store(noPos)
			e.cPos.Store(noPos)
		}
	})
	if err != nil {
		return nil, allocError("queue", name, err)
	}
	return mpmcFrom(obj)
}

// OpenMPMC finds the queue called name in seg.
func OpenMPMC(seg *shm.Segment, name string) (*MPMC, error) {
	obj, err := seg.LookupKind(name, shm.KindQueue, queueVersion)
	if err != nil {
		return nil, err
	}
	return mpmcFrom(obj)
}

// attachMPMC attaches the queue h names.
func attachMPMC(h shm.Handle) (*MPMC, error) {
	obj, err := shm.Attach(h, shm.KindQueue, queueVersion)
	if err != nil {
		return nil, err
	}
	return mpmcFrom(obj)
}

// mpmcFrom validates the header and keeps its geometry privately: nothing
// read from shared memory afterwards can move a slot or entry outside the
// object.
func mpmcFrom(obj *shm.Object) (*MPMC, error) {
	q, err := mpmcBytes(obj.Bytes())
	if err != nil {
		return nil, err
	}
	q.obj, q.local = obj, localFor(obj)
	q.own.l = q.local
	keepOwn(q)
	q.errs = newObjErrors(fmt.Sprintf("queue %q", obj.Name()))
	return q, nil
}

// mpmcBytes validates a queue in b; the caller sets obj and local.
func mpmcBytes(b []byte) (*MPMC, error) {
	if len(b) < queueHdrSize {
		return nil, corrupt("queue of %d bytes", len(b))
	}
	h := layoutAt[queueHdr](b, 0)
	nslots, slotSize, nparts, limit := h.slots, h.slotSize, uint64(h.parts), h.limit
	if h.magic != queueMagic || h.version != queueVersion {
		return nil, corrupt("queue header magic %#x version %d", h.magic, h.version)
	}
	if nslots < 2 || nslots > maxSlots || nslots&(nslots-1) != 0 || slotSize < slotHdr+8 || slotSize%8 != 0 ||
		slotSize > 1<<20 || nparts < 1 || nparts > maxParticipants || limit < 1 || limit > nslots ||
		uint64(queueHdrSize)+nparts*uint64(partSize)+nslots*slotSize > uint64(len(b)) {
		return nil, corrupt("queue geometry %d slots of %d bytes, %d participants in %d bytes", nslots, slotSize, nparts, len(b))
	}
	pEnd := queueHdrSize + int(nparts)*partSize
	q := &MPMC{
		h: h, parts: b[queueHdrSize:pEnd:pEnd],
		area:   b[pEnd : pEnd+int(nslots*slotSize) : pEnd+int(nslots*slotSize)],
		nslots: nslots, mask: nslots - 1, limit: limit, slotSize: slotSize, payload: slotSize - slotHdr,
		nparts: int(nparts), mode: Mode(h.mode & 1), errs: newObjErrors("queue"),
		own: new(ownEntry),
	}
	return q, nil
}

// seq returns the sequence word of the slot for position pos.
func (q *MPMC) seq(pos uint64) *atomic.Uint64 {
	off := (pos & q.mask) * q.slotSize
	return wordAt(q.area, off)
}

// slot returns the slot for position pos: header and payload.
func (q *MPMC) slot(pos uint64) []byte {
	off := (pos & q.mask) * q.slotSize
	return q.area[off : off+q.slotSize : off+q.slotSize]
}

func (q *MPMC) entry(i int) *partEntry {
	return layoutAt[partEntry](q.parts, i*partSize)
}

// span is the number of slots a message of n bytes takes.
func (q *MPMC) span(n int) uint64 {
	if n <= int(q.payload) {
		return 1
	}
	return (uint64(n) + q.payload - 1) / q.payload
}

// Cap returns the queue's capacity in slots: Options.Capacity, as asked.
func (q *MPMC) Cap() int { return int(q.limit) }

// MaxMessage returns the largest message the queue can hold (all Cap
// slots).
func (q *MPMC) MaxMessage() int { return int(q.limit * q.payload) }

// SlotPayload returns the largest message that takes a single slot.
func (q *MPMC) SlotPayload() int { return int(q.payload) }

// Handle names the queue for shm.AttachAs[ring.MPMC] in another process.
func (q *MPMC) Handle() shm.Handle { return q.obj.Handle() }

// Populate maps the queue's pages into this process now (see
// Ring.Populate).
func (q *MPMC) Populate() error { return q.obj.Populate() }

// Close closes the queue for every process: Put fails with os.ErrClosed,
// Get drains what was committed, then returns io.EOF (the end of the
// stream, for a consumer's loop). Idempotent. Shutdown is Python's way of
// ending a queue.
func (q *MPMC) Close() error {
	q.h.closed.Or(closedBit)
	q.wakeAll()
	return nil
}

// Shutdown ends the queue for every process, as Python's
// Queue.shutdown(immediate) does: Put, waiting or not, fails with an
// error wrapping ErrShutdown (and os.ErrClosed). Without immediate, Get
// takes what is left, then fails with ErrShutdown instead of waiting;
// with immediate, what is left is dropped now (a JoinableQueue counts
// each dropped value done, so Join returns once the values already taken
// are marked done) and every Get, waiting or not, fails at once.
// Idempotent; Shutdown(true) after Shutdown(false) drops what is left.
func (q *MPMC) Shutdown(immediate bool) error {
	bits := uint32(closedBit | shutBit)
	if immediate {
		bits |= immBit
	}
	q.h.closed.Or(bits)
	if immediate {
		q.drop()
	}
	q.wakeAll()
	return nil
}

// drop takes and discards every committed message (Shutdown(true)).
// A message whose producer is still writing it is left: every Get fails
// from now on anyway.
func (q *MPMC) drop() {
	e, idx, err := q.acquire()
	if err != nil {
		return
	}
	defer q.releaseEntry(idx)
	discard := func([]byte) error { return nil }
	for {
		_, ok, _, _, _, err := q.tryGet(e, nil, discard)
		if !ok || err != nil {
			return
		}
		if q.h.flags&flagJoinable != 0 {
			q.taskDone(false)
		}
	}
}

func (q *MPMC) wakeAll() {
	q.h.dataWait.wakeAll()
	q.h.spaceWait.wakeAll()
	q.h.joinWait.wakeAll()
}

// closedErr is the error of a Put on a closed or shut down queue.
func (q *MPMC) closedErr() error {
	if q.h.closed.Load()&shutBit != 0 {
		return q.errs.shut
	}
	return q.errs.closed
}

// Closed reports whether the queue was closed (by any process).
func (q *MPMC) Closed() bool { return q.h.closed.Load() != 0 }

// Len returns the number of messages committed and not yet taken: a
// snapshot, summed over the participant table.
func (q *MPMC) Len() int {
	var in, out uint64
	for i := range q.nparts {
		e := q.entry(i)
		in += e.in.Load()
		out += e.out.Load()
	}
	if out >= in {
		return 0
	}
	return int(in - out)
}

// used returns the slots claimed and not yet freed.
func (q *MPMC) used() uint64 {
	e, d := q.h.enq.Load(), q.h.deq.Load()
	if e < d {
		return 0
	}
	return e - d
}

// Empty reports whether no message is waiting (a snapshot).
func (q *MPMC) Empty() bool { return q.Len() == 0 }

// Full reports whether all Cap slots are claimed (a snapshot).
func (q *MPMC) Full() bool { return q.used() >= q.limit }

// Stats returns the queue's counters summed over its participants.
func (q *MPMC) Stats() Stats {
	var s Stats
	for i := range q.nparts {
		e := q.entry(i)
		s.In += e.in.Load()
		s.Out += e.out.Load()
		s.BytesIn += e.bytesIn.Load()
		s.BytesOut += e.bytesOut.Load()
		s.FullWaits += e.fullWaits.Load()
		s.EmptyWaits += e.emptyWts.Load()
		s.Sleeps += e.sleeps.Load()
		s.Wakes += e.wakes.Load()
		s.DeadSkipped += e.skipped.Load()
	}
	s.Len, s.Cap, s.Closed = int(min(q.used(), q.limit)), int(q.limit), q.Closed()
	return s
}
