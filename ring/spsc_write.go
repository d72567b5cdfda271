package ring

import (
	"context"
	"encoding/binary"
	"sync/atomic"
)

// ---- producer ----
//
// Publication protocol (length last): the consumer polls the 8-byte header
// at its head, which reads 0 until the producer commits the record there.
// Reserving a record writes its payload and then zeroes the header slot of
// the record after it (so that the consumer, having read this one, finds 0
// there and not a stale header of an earlier lap); committing stores the
// first pending record's header, with release order, last. Records reserved
// after that first one have their headers written as they are reserved: the
// consumer cannot reach them before the first is committed, so one store
// publishes a whole batch. The producer's tail is published after the
// commit, for Len and for a producer taking over (see start). So the
// consumer touches no producer-written line but the record itself.
//
// Room: a record needs its size plus the 8 bytes of the next header slot.

// hdrWord returns the header word at absolute position at.
func (r *Ring) hdrWord(at uint64) *atomic.Uint64 {
	return wordAt(r.data, at&r.mask)
}

// header packs a record header: length, flags, and recLive so that a
// published header is never 0.
func header(n uint64, flags uint32) uint64 { return n | uint64(flags|recLive)<<32 }

// start takes over the producer side: from the published tail, skipping
// records a dead producer committed after its last tail store. Those may
// have been read already, so the head may be ahead of the published tail
// (see consumer.start); the walk must end at or past the head, since no
// consumer reads an uncommitted record.
func (p *producer) start() error {
	h := p.r.h
	t, hd := h.prodPos.pos.Load(), h.consPos.pos.Load()
	if !posNear(t, hd, p.r.cap) || t&7 != 0 || hd&7 != 0 {
		return corrupt("tail %d head %d capacity %d", t, hd, p.r.cap)
	}
	for walked := uint64(0); ; {
		hw := p.r.hdrWord(t).Load()
		if hw == 0 {
			break
		}
		size := recSize(uint64(uint32(hw)))
		walked += size
		if uint32(hw>>32)&recLive == 0 || (t&p.r.mask)+size > p.r.cap || !posNear(t+size, hd, p.r.cap) || walked > p.r.cap {
			return corrupt("record header %#x at %d", hw, t&p.r.mask)
		}
		t += size
	}
	if t < hd || t-hd > p.r.cap-recHdr {
		return corrupt("tail %d behind head %d after the committed records", t, hd)
	}
	p.tail, p.committed, p.headCache, p.started = t, t, hd, true
	h.prod.owner.Store(selfID()) // see spsc_peer.go
	return nil
}

// posNear reports whether two positions of a ring of capacity c are no
// more than its usable room (c less the next header slot) apart, in either
// direction: with wrap-around arithmetic, as positions only grow.
func posNear(a, b, c uint64) bool {
	return a-b <= c-recHdr || b-a <= c-recHdr
}

// refreshHead reads the consumer's head, checking it against what this
// producer published.
func (p *producer) refreshHead() error {
	hd := p.r.h.consPos.pos.Load() // pairs with the consumer's store in release
	if hd > p.committed || p.committed-hd > p.r.cap-recHdr || hd&7 != 0 {
		return corrupt("head %d outside tail %d - capacity %d", hd, p.committed, p.r.cap)
	}
	p.headCache = hd
	return nil
}

// room returns the space a record of n bytes needs at the current tail:
// padding to the end of the data area first if it would not fit before it.
func (p *producer) room(n uint64) (pad, need uint64) {
	need = recSize(n)
	if pos := p.tail & p.r.mask; pos+need > p.r.cap {
		pad = p.r.cap - pos
	}
	return pad, need
}

// fits reports whether n more bytes (plus the next header slot) fit.
func (p *producer) fits(n uint64) bool { return p.tail+n+recHdr-p.headCache <= p.r.cap }

// tryReserve reserves a record of n payload bytes, or reports no room.
func (p *producer) tryReserve(n int) ([]byte, bool, error) {
	if !p.started {
		if err := p.start(); err != nil {
			return nil, false, err
		}
	}
	if n < 0 {
		return nil, false, p.r.errs.errorf("record of %d bytes: %w", n, errInvalid)
	}
	if uint64(n) > p.r.cap-2*recHdr {
		return nil, false, p.r.errs.errorf("record of %d bytes, ring holds %d: %w", n, p.r.cap-2*recHdr, ErrTooLarge)
	}
	if p.r.h.closed.Load() != 0 {
		return nil, false, p.r.closedErr()
	}
	if d := p.r.dir; d != nil && d.p.line(d.reader).count.Load() == 0 {
		return nil, false, d.noReaders()
	}
	pad, need := p.room(uint64(n))
	if !p.fits(pad + need) {
		if err := p.refreshHead(); err != nil {
			return nil, false, err
		}
		if !p.fits(pad + need) {
			// Wait for the padding's room first, then for the record's:
			// when the padding fits and the record after it does not
			// yet, write the padding now so that the consumer can skip
			// it and free the whole ring (else a record of nearly the
			// ring's size would never fit).
			p.want = need
			if pad != 0 {
				p.want = pad
				if p.fits(pad) {
					p.put(pad-recHdr, recPad)
					p.want = need
				}
			}
			return nil, false, nil
		}
	}
	if pad != 0 {
		p.put(pad-recHdr, recPad)
	}
	pos := p.tail & p.r.mask
	p.put(uint64(n), 0)
	p.recs++
	p.bytes += uint64(n)
	return p.r.data[pos+recHdr : pos+recHdr+uint64(n) : pos+recHdr+uint64(n)], true, nil
}

// put appends a record header of n payload bytes at the tail (held back
// when it is the first uncommitted one) and zeroes the next header slot.
func (p *producer) put(n uint64, flags uint32) {
	hw := header(n, flags)
	if p.pending {
		binary.LittleEndian.PutUint64(p.r.data[p.tail&p.r.mask:], hw)
	} else {
		p.first, p.firstHdr, p.pending = p.tail, hw, true
	}
	p.tail += recSize(n)
	binary.LittleEndian.PutUint64(p.r.data[p.tail&p.r.mask:], 0)
}

// commit publishes every reserved record with one store (the first
// pending header), then wakes a sleeping consumer: for these records, and
// for any that commitQuiet left unannounced.
func (p *producer) commit() {
	p.commitQuiet()
	if p.r.h.dataWait.wake() {
		count(&p.r.h.prod.wakes, 1)
	}
}

// commitQuiet is commit without the wake: a consumer that polls finds the
// records, one asleep sleeps on until the next commit (or its slice ends).
func (p *producer) commitQuiet() {
	if !p.pending {
		return
	}
	h := p.r.h
	publish(p.r.hdrWord(p.first), p.firstHdr) // the commit: pairs with the consumer's load in peek
	p.pending = false
	p.committed = p.tail
	publish(&h.prodPos.pos, p.tail) // for Len and a producer taking over
	count(&h.prod.msgs, p.recs)
	count(&h.prod.bytes, p.bytes)
	p.recs, p.bytes = 0, 0
}

// ready: there is room for p.want bytes, or the ring closed (or, in a
// pipe, no process holds the reading end).
func (p *producer) ready() (bool, error) {
	if p.r.h.closed.Load() != 0 {
		return true, nil
	}
	if d := p.r.dir; d != nil && d.p.line(d.reader).count.Load() == 0 {
		return true, nil
	}
	if err := p.refreshHead(); err != nil {
		return false, err
	}
	return p.fits(p.want), nil
}

func (p *producer) reserve(ctx context.Context, n int) ([]byte, error) {
	for {
		b, ok, err := p.tryReserve(n)
		if ok || err != nil {
			return b, err
		}
		// Publish what is pending, else the consumer cannot free the room
		// this wait needs.
		p.commit()
		h := p.r.h
		if err := await(ctx, &h.spaceWait, p.r.mode, &p.spin, p,
			waitStats{&h.prod.waits, &h.prod.sleeps}); err != nil {
			return nil, err
		}
	}
}

// Reserve returns a slice of n bytes in the ring for the caller to fill,
// waiting for room as ctx allows. The record becomes visible to the consumer
// at the next Commit (or Write, or a Reserve that has to wait, which commits
// what was reserved before it). Fill the slice before the next Reserve; it
// must not be used after Commit.
func (r *Ring) Reserve(ctx context.Context, n int) ([]byte, error) { return r.p.reserve(ctx, n) }

// TryReserve is Reserve that never waits: ErrFull when there is no room
// (after committing what was reserved before, as a waiting Reserve would).
func (r *Ring) TryReserve(n int) ([]byte, error) {
	b, ok, err := r.p.tryReserve(n)
	if err == nil && !ok {
		r.p.commit() // as a Reserve that has to wait: publish padding and what came before
		err = r.errs.full
	}
	return b, err
}

// Commit publishes every record reserved so far, with one store, and wakes
// a sleeping reader (for them, and for what WriteQuiet left).
func (r *Ring) Commit() { r.p.commit() }

// Write copies p into the ring as one record and commits it (and any record
// reserved before it), waiting for room as ctx allows. A record longer than
// MaxMessage is ErrTooLarge; a closed ring os.ErrClosed; a ring without
// room whose reader's process died an error wrapping ErrPeerDead (while
// there is room, records are written for a next reader).
func (r *Ring) Write(ctx context.Context, p []byte) error { return r.write(ctx, p, true) }

// WriteQuiet is Write that lets a sleeping reader sleep on: the record is
// committed (a reader that looks finds it, and it outlives this process)
// but the reader is not woken for it. The next Write or Commit wakes it, as
// does a writer that has to wait for room. It is for a writer that sends
// runs of records of which the reader needs only the last one promptly,
// such as the results of a batch: each wake costs the writer a system call
// and the reader a trip through the kernel and its scheduler. A run of
// WriteQuiet calls must end with a Write or Commit, or the reader may
// sleep past it for up to a second.
func (r *Ring) WriteQuiet(ctx context.Context, p []byte) error { return r.write(ctx, p, false) }

func (r *Ring) write(ctx context.Context, p []byte, wake bool) error {
	b, err := r.p.reserve(ctx, len(p))
	if err != nil {
		return err
	}
	copyChunked(b, p)
	if wake {
		r.p.commit()
	} else {
		r.p.commitQuiet()
	}
	return nil
}

// TryWrite is Write that never waits: ErrFull when there is no room.
func (r *Ring) TryWrite(p []byte) error {
	b, ok, err := r.p.tryReserve(len(p))
	if err != nil {
		return err
	}
	if !ok {
		r.p.commit() // publish padding, if tryReserve wrote some
		return r.errs.full
	}
	copyChunked(b, p)
	r.p.commit()
	return nil
}

// WriteBatch copies recs into the ring as records and publishes them with as
// few stores as room allows (one, when they all fit). It waits as ctx
// allows and returns how many records it wrote.
func (r *Ring) WriteBatch(ctx context.Context, recs [][]byte) (int, error) {
	for i, p := range recs {
		b, ok, err := r.p.tryReserve(len(p))
		if err == nil && !ok {
			b, err = r.p.reserve(ctx, len(p)) // commits the records before it
		}
		if err != nil {
			r.p.commit()
			return i, err
		}
		copyChunked(b, p)
	}
	r.p.commit()
	return len(recs), nil
}
