package ring

import (
	"context"
	"encoding/binary"
)

// ---- runs of equal-size records ----
//
// ReserveBatch and PeekBatch move a run of records of one size with one
// call: the wire is unchanged (each record keeps its 8-byte header, so
// Peek, Read and ReadBatch read a run record by record, and a producer
// taking over walks it as any other), but the per-record work of the
// single-record calls goes.
//
//   - Producer: the checks (started, size, closed, room) are made once
//     per run; the first record goes through tryReserve (padding and
//     waiting as Reserve), and the others' headers are written in one
//     tight loop of plain stores, then the header slot after the run is
//     zeroed once. The first header stays held back for the commit store,
//     as for Reserve: one store publishes the run and everything reserved
//     before it (see spsc_write.go for the order).
//   - Consumer: the first record is found as Peek finds it (waiting,
//     padding, Close, a dead writer); each further record costs one load
//     and one compare of its header against the first's. A header equal to
//     the first's is a live record of the same length, and the bounds of
//     the whole run were checked once before the loop: so a hostile ring
//     still cannot make it read outside the data area, and a header that
//     differs (the end of what is committed: 0; a padding record; another
//     size) ends the run there.

// Records is a run of n records of Size bytes each, lying one after
// another every Stride bytes in the ring (Stride is Size rounded up to 8,
// plus the 8 bytes of the next record's header). A zero Records is empty.
//
// From ReserveBatch the records are to be filled (every byte: nothing is
// zeroed); from PeekBatch they are to be read. Either way the view points
// into shared memory and is valid as the slices of Reserve and Peek are:
// until Commit, or until Release (see each). The bytes between records are
// the ring's record headers: writing there corrupts the ring (its reader
// then fails with shm.ErrCorrupt).
type Records struct {
	b      []byte // from the first record's first byte to the last's last
	n      int
	size   int
	stride int
}

// Len returns the number of records.
func (v Records) Len() int { return v.n }

// Size returns the length of each record.
func (v Records) Size() int { return v.size }

// Stride returns the distance in bytes from one record to the next.
func (v Records) Stride() int { return v.stride }

// At returns record i (0 <= i < Len()).
func (v Records) At(i int) []byte {
	o := i * v.stride
	return v.b[o : o+v.size : o+v.size]
}

// Bytes returns the whole run as one slice: record i is
// Bytes()[i*Stride() : i*Stride()+Size()]. For loops that index records
// themselves (one bounds check per run rather than per record).
func (v Records) Bytes() []byte { return v.b }

// tryReserveBatch reserves up to n records of size bytes, at least one, in
// contiguous room; ok is false when not even one fits (as tryReserve).
func (p *producer) tryReserveBatch(n, size int) (Records, bool, error) {
	if n < 1 {
		return Records{}, false, p.r.errs.errorf("batch of %d records: %w", n, errInvalid)
	}
	_, ok, err := p.tryReserve(size) // checks, padding, the first header
	if !ok || err != nil {
		return Records{}, ok, err
	}
	stride := recSize(uint64(size))
	at0 := (p.tail - stride) & p.r.mask // the first record's header
	k := p.more(uint64(n-1), stride)
	if k < uint64(n-1) {
		// A head that fails its check leaves the run at what is known
		// free: the next call that needs room finds the error again.
		if p.refreshHead() == nil {
			k = p.more(uint64(n-1), stride)
		}
	}
	if k > 0 {
		// The run's other headers: not the first pending header (that
		// is the commit store), so plain stores, seen by the consumer
		// only after the commit (see put).
		hw := header(uint64(size), 0)
		d := p.r.data
		at := p.tail & p.r.mask
		_ = d[at+k*stride-1] // more kept the run before the end
		for i := uint64(0); i < k; i++ {
			binary.LittleEndian.PutUint64(d[at+i*stride:], hw)
		}
		p.tail += k * stride
		binary.LittleEndian.PutUint64(d[p.tail&p.r.mask:], 0) // the next header slot
		p.recs += k
		p.bytes += k * uint64(size)
	}
	end := at0 + k*stride + recHdr + uint64(size)
	return Records{b: p.r.data[at0+recHdr : end : end], n: int(k + 1), size: size, stride: int(stride)}, true, nil
}

// more returns how many of want further records of stride bytes fit after
// the tail: before the end of the data area, and in the room known free
// (with the next header slot).
func (p *producer) more(want, stride uint64) uint64 {
	k := want
	if pos := p.tail & p.r.mask; pos != 0 { // 0: the first record ended the data area
		k = min(k, (p.r.cap-pos)/stride)
	} else {
		k = 0
	}
	if used := p.tail + recHdr - p.headCache; used < p.r.cap {
		k = min(k, (p.r.cap-used)/stride)
	} else {
		k = 0
	}
	return k
}

// ReserveBatch reserves up to n records of size bytes each for the caller
// to fill, waiting (as ctx allows) for room for one, and returns the run: at
// least one record, fewer than n when the ring has no more room before its
// end or before its reader's head (reserve the rest with another call). The
// records become visible at the next Commit, with one store, as Reserve's
// do; fill them before then, and use the view no more after it. Errors are
// Reserve's.
func (r *Ring) ReserveBatch(ctx context.Context, n, size int) (Records, error) {
	for {
		v, ok, err := r.p.tryReserveBatch(n, size)
		if ok || err != nil {
			return v, err
		}
		// Wait for the first record's room as Reserve does: publish what
		// is pending first, else the consumer cannot free that room.
		r.p.commit()
		h := r.h
		if err := await(ctx, &h.spaceWait, r.mode, &r.p.spin, &r.p,
			waitStats{&h.prod.waits, &h.prod.sleeps}); err != nil {
			return Records{}, err
		}
	}
}

// TryReserveBatch is ReserveBatch that never waits: ErrFull when not even
// one record fits (after committing what was reserved before, as
// TryReserve).
func (r *Ring) TryReserveBatch(n, size int) (Records, error) {
	v, ok, err := r.p.tryReserveBatch(n, size)
	if err == nil && !ok {
		r.p.commit()
		err = r.errs.full
	}
	return v, err
}

// peekBatch takes the next run of records of one size, up to max (0: no
// limit), waiting for the first as ctx allows.
func (c *consumer) peekBatch(ctx context.Context, max int, wait bool) (Records, error) {
	rec, next, err := c.next(ctx, wait)
	if err != nil {
		return Records{}, err
	}
	size := uint64(len(rec))
	stride := recSize(size)
	start := (next - stride) & c.r.mask // the first record's header
	// How far the run may go: before the end of the data area, and no
	// further than a producer could have written past the released head.
	lim := (c.r.cap - start) / stride
	if room := c.released + c.r.cap - recHdr; room > next-stride {
		lim = min(lim, (room-(next-stride))/stride)
	} else {
		lim = 1
	}
	if max > 0 {
		lim = min(lim, uint64(max))
	}
	hw := header(size, 0)
	k := uint64(1)
	for ; k < lim; k++ {
		if c.r.hdrWord(next).Load() != hw { // pairs with the producer's publish in commit
			break
		}
		next += stride
	}
	c.head = next
	c.recs += k
	c.bytes += k * size
	end := start + (k-1)*stride + recHdr + size
	return Records{b: c.r.data[start+recHdr : end : end], n: int(k), size: int(size), stride: int(stride)}, nil
}

// PeekBatch takes the next run of records of one size without copying them,
// up to max (0: as many as are committed), waiting for the first as ctx
// allows: at least one record, as Peek; a record of another size, padding
// or the end of what is committed ends the run. Errors are Peek's. The
// records are freed, and the view must no longer be used, as a Peek's
// slice: at Release, or at a Peek, Read or ReadBatch that has to wait.
func (r *Ring) PeekBatch(ctx context.Context, max int) (Records, error) {
	return r.c.peekBatch(ctx, max, true)
}

// TryPeekBatch is PeekBatch that never waits (and never releases): ErrEmpty
// when there is nothing to read.
func (r *Ring) TryPeekBatch(max int) (Records, error) {
	return r.c.peekBatch(context.Background(), max, false)
}
