package ring

import (
	"fmt"

	"github.com/shmkit/shmkit/shm"
)

// Ring is a single-producer single-consumer ring of variable-length records
// in shared memory. One goroutine (in any process) writes, one reads; each
// process holding the ring has its own *Ring with private cached positions.
//
// Publication, length last: the producer writes a record's payload, then
// publishes it (and every record reserved after it) with one store of its
// 8-byte header, which the consumer polls; the consumer releases space with
// one store of the head, which the producer caches and re-reads only when
// the ring looks full. A 64-byte message thus costs the consumer one cache
// miss, on the record itself.
//
// Wrap policy: records are never split. A record that does not fit before
// the end of the data area is preceded by a padding record that fills the
// end, and starts at offset 0. So every record, and every slice Reserve and
// Peek hand out, is contiguous; the largest record is MaxMessage() =
// Capacity-16 bytes and anything larger is ErrTooLarge, up front.
//
// Deaths: a producer killed between Reserve and Commit published nothing:
// the consumer never sees a partial record, and the next producer to attach
// starts after the last committed record. A consumer killed between Peek and
// Release loses nothing (the records are read again by the next consumer);
// killed after Release, it loses the records it had taken. Neither side
// waits for a dead peer: a reader whose writer died reads what was
// committed, then gets ErrPeerDead; a writer whose reader died gets it when
// the ring is full (see the package doc, "What each death costs").
//
// A Ring is not safe for two concurrent writers, or two concurrent readers:
// that is what the MPMC Queue is for.
type Ring struct {
	obj  *shm.Object // nil for a ring inside a Pipe
	h    *ringHdr
	data []byte // the data area, len == capacity
	mask uint64
	cap  uint64
	mode Mode
	// The writing and the reading goroutine of one process may share a
	// handle: each side's private state, stored at every call, sits a
	// line pair apart from the other's and from the fields both read.
	// Without the pads, a writer and a reader goroutine moving 64-byte
	// records one by one took 71.6 ns a record against 63.8 with them
	// (BenchmarkRingTwoThreads/64x1/write-read, medians of 6 interleaved
	// runs; faster with the pads in each pair).
	_    [shm.CacheLinePad]byte
	p    producer
	_    [shm.CacheLinePad]byte
	c    consumer
	_    [shm.CacheLinePad]byte
	errs objErrors // named `ring "r"`, or after the pipe a ring is in
	dir  *pipeDir  // the pipe a ring is in; nil for a Ring of its own
}

// producer is the writing side's private state.
type producer struct {
	r         *Ring
	started   bool
	tail      uint64 // next free byte, reserved records included
	committed uint64 // the tail last published
	first     uint64 // position of the first uncommitted record
	firstHdr  uint64 // its header, stored by commit
	pending   bool   // records are reserved and not committed
	headCache uint64 // the consumer's head as last read
	recs      uint64 // records reserved since the last commit
	bytes     uint64
	want      uint64 // room the current wait needs
	spin      spinner
	peer      peerWatch // the consumer's liveness, looked at while waiting
}

// consumer is the reading side's private state.
type consumer struct {
	r        *Ring
	started  bool
	head     uint64 // next record to read, peeked records skipped
	released uint64 // the head last published
	recs     uint64 // records peeked since the last release
	bytes    uint64
	spin     spinner
	peer     peerWatch // the producer's liveness, looked at while waiting
}

// NewRing allocates a ring called name in seg.
func NewRing(seg *shm.Segment, name string, opts *Options) (*Ring, error) {
	o := opts.orDefault()
	capacity, err := pow2("ring capacity", o.Capacity, defaultRingCap, minRingCap, maxRingCap)
	if err != nil {
		return nil, err
	}
	obj, err := seg.AllocObject(name, shm.KindRing, ringVersion, ringHdrSize+capacity, lineSize, func(b []byte) {
		initRing(b, capacity, o.Mode)
	})
	if err != nil {
		return nil, allocError("ring", name, err)
	}
	return ringFrom(obj, obj.Bytes())
}

// OpenRing finds the ring called name in seg.
func OpenRing(seg *shm.Segment, name string) (*Ring, error) {
	obj, err := seg.LookupKind(name, shm.KindRing, ringVersion)
	if err != nil {
		return nil, err
	}
	return ringFrom(obj, obj.Bytes())
}

// attachRing attaches the ring h names (from Handle, in another process).
func attachRing(h shm.Handle) (*Ring, error) {
	obj, err := shm.Attach(h, shm.KindRing, ringVersion)
	if err != nil {
		return nil, err
	}
	return ringFrom(obj, obj.Bytes())
}

func initRing(b []byte, capacity int, mode Mode) {
	h := asRingHdr(b)
	h.magic = ringMagic
	h.version = ringVersion
	h.capacity = uint64(capacity)
	h.mode = uint32(mode)
}

// ringFrom validates the header in b and builds a handle on it. Nothing read
// from shared memory is trusted: the capacity must be a power of two that
// fits b, and is then kept privately.
func ringFrom(obj *shm.Object, b []byte) (*Ring, error) {
	if len(b) < ringHdrSize+minRingCap || uintptr(len(b))%8 != 0 {
		return nil, fmt.Errorf("ring of %d bytes: too small: %w", len(b), shm.ErrCorrupt)
	}
	h := asRingHdr(b)
	capacity := h.capacity
	if h.magic != ringMagic || h.version != ringVersion {
		return nil, fmt.Errorf("ring header magic %#x version %d: %w", h.magic, h.version, shm.ErrCorrupt)
	}
	if capacity < minRingCap || capacity&(capacity-1) != 0 || capacity > uint64(len(b)-ringHdrSize) {
		return nil, fmt.Errorf("ring capacity %d in %d bytes: %w", capacity, len(b), shm.ErrCorrupt)
	}
	r := &Ring{obj: obj, h: h, data: b[ringHdrSize : ringHdrSize+int(capacity) : ringHdrSize+int(capacity)],
		mask: capacity - 1, cap: capacity, mode: Mode(h.mode & 1)}
	r.p.r, r.c.r = r, r
	what := "ring"
	if obj != nil {
		what = fmt.Sprintf("ring %q", obj.Name())
	}
	r.errs = newObjErrors(what)
	return r, nil
}

// Handle names the ring for shm.AttachAs[ring.Ring] in another process.
func (r *Ring) Handle() shm.Handle { return r.obj.Handle() }

// Populate maps the ring's pages into this process now, so that its first
// lap does not take a page fault per 4 KiB (see shm.Segment.Populate): for
// each side, once, before a latency-sensitive loop.
func (r *Ring) Populate() error { return r.obj.Populate() }

// Cap returns the size of the data area in bytes.
func (r *Ring) Cap() int { return int(r.cap) }

// MaxMessage returns the largest record the ring can hold.
func (r *Ring) MaxMessage() int { return int(r.cap - 2*recHdr) }

// Len returns the bytes (records, their headers and padding) written and not
// yet released: a snapshot.
func (r *Ring) Len() int {
	t, hd := r.h.prodPos.pos.Load(), r.h.consPos.pos.Load()
	if t < hd || t-hd > r.cap {
		return 0
	}
	return int(t - hd)
}

// Close marks the ring closed, for every process: writes fail with
// os.ErrClosed, reads return what was committed before, then io.EOF.
// Records reserved and not committed are dropped. Close is idempotent.
func (r *Ring) Close() error {
	r.h.closed.Store(1)
	r.h.dataWait.wakeAll()
	r.h.spaceWait.wakeAll()
	return nil
}

// Closed reports whether Close was called on the ring (by any process).
func (r *Ring) Closed() bool { return r.h.closed.Load() != 0 }

// closedErr is the error of a write to a closed ring: closed, or shut
// down (a pipe's Shutdown).
func (r *Ring) closedErr() error {
	if r.h.closed.Load()&shutBit != 0 {
		return r.errs.shut
	}
	return r.errs.closed
}

// shutdown closes the ring for every process as a pipe's Shutdown.
func (r *Ring) shutdown() {
	r.h.closed.Or(closedBit | shutBit)
	r.h.dataWait.wakeAll()
	r.h.spaceWait.wakeAll()
}

func corrupt(format string, args ...any) error {
	return fmt.Errorf("ring: "+format+": %w", append(args, shm.ErrCorrupt)...)
}
