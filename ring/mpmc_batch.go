package ring

import (
	"context"
	"encoding/binary"
)

// ---- batches: k one-slot messages, one CAS ----
//
// PutBatch claims a run of k slots with one CAS on enq, as a k-slot message
// is claimed, and writes k one-slot messages into it (each slot its own
// length and span 1). Publication order, as a multi-slot message's: every
// payload and header, then the seq of slots 2..k, then the seq of slot 1
// (the commit: consumers look only at deq's slot, so slots 2..k stay unseen
// until slot 1 is committed), each a release store. The intent names the
// whole run (pos, k): a producer killed before the commit leaves a claim a
// rescuer turns into one tombstone of span k (rescue.go), so the whole
// batch vanishes and nothing torn is read; killed after it, nothing is
// lost.
//
// GetBatchFunc takes a run of committed one-slot messages with one CAS on
// deq. It reads each slot's seq before its header (both loads, in order
// on amd64; pairing with the producer's release stores), and walks only
// first slots: it stops at the first slot that is not a committed one-slot
// message (a tombstone, a multi-slot message, an uncommitted slot), so it
// never reads a continuation slot's stale header as a message. The intent
// names the run before the CAS: a consumer killed holding it loses the run
// (a rescuer frees its slots), the "at most what it took" of the package
// doc.

// tryPutBatch claims up to len(msgs) slots with one CAS and commits a
// one-slot message in each; n is how many it put (0: full, x and s as
// tryPut's for the wait).
func (q *MPMC) tryPutBatch(e *partEntry, msgs [][]byte) (n int, x, s uint64, err error) {
	for _, m := range msgs {
		if uint64(len(m)) > q.payload {
			return 0, 0, 0, q.errs.errorf("message of %d bytes in a batch, a slot holds %d: %w", len(m), q.payload, ErrTooLarge)
		}
	}
	if q.h.closed.Load() != 0 {
		return 0, 0, 0, q.closedErr()
	}
	var pos, k uint64
claim:
	for {
		pos = q.h.enq.Load()
		k = min(uint64(len(msgs)), q.limit)
		for i := range k {
			sv := q.seq(pos + i).Load()
			if sv == pos+i {
				continue
			}
			if sv&rescueBit != 0 || int64(sv-(pos+i)) < 0 {
				if i == 0 {
					return 0, pos, sv, nil
				}
				k = i // full from here: put what fits
				break
			}
			if q.h.enq.Load() == pos {
				return 0, 0, 0, corrupt("queue slot %d: seq %d at enqueue position %d", (pos+i)&q.mask, sv, pos)
			}
			continue claim
		}
		if q.limit < q.nslots {
			d := q.h.deq.Load()
			if int64(pos-d) >= 0 && pos+k-d > q.limit {
				if pos-d >= q.limit {
					return 0, noPos, d, nil
				}
				k = q.limit - (pos - d)
			}
		}
		publish(&e.pSpan, k)
		publish(&e.pPos, pos) // the intent precedes the claim
		if q.h.enq.CompareAndSwap(pos, pos+k) {
			break
		}
	}
	if hookAfterClaim != nil {
		hookAfterClaim()
	}
	var bytes uint64
	for i := range k {
		sl := q.slot(pos + i)
		m := msgs[i]
		binary.LittleEndian.PutUint32(sl[8:], uint32(len(m)))
		binary.LittleEndian.PutUint32(sl[12:], 1)
		copy(sl[slotHdr:], m)
		bytes += uint64(len(m))
	}
	if q.h.flags&flagJoinable != 0 {
		q.h.unfinished.Add(int64(k))
	}
	for i := uint64(1); i < k; i++ {
		publish(q.seq(pos+i), pos+i+1)
	}
	publish(q.seq(pos), pos+1) // commit: pairs with the consumer's load in tryGet
	publish(&e.pPos, noPos)
	count(&e.in, k)
	count(&e.bytesIn, bytes)
	if q.h.dataWait.wake() {
		count(&e.wakes, 1)
	}
	return int(k), 0, 0, nil
}

// PutBatch puts msgs as separate messages, each of at most SlotPayload
// bytes (else ErrTooLarge, and nothing is put), claiming as many slots as
// are free with one compare-and-swap per run rather than one per message.
// It waits for room as ctx allows and returns how many it put: all of them,
// or fewer with an error. Consumers take the messages one by one (Get) or
// in runs (GetBatchFunc), in order; a producer killed in the middle of a
// run's claim loses the whole run, never part of a message.
func (q *MPMC) PutBatch(ctx context.Context, msgs [][]byte) (int, error) {
	e, idx, err := q.acquire()
	if err != nil {
		return 0, err
	}
	defer q.releaseEntry(idx)
	done := 0
	for done < len(msgs) {
		n, x, s, err := q.tryPutBatch(e, msgs[done:])
		if err != nil {
			return done, err
		}
		if n > 0 {
			done += n
			continue
		}
		if err := q.awaitSpace(ctx, e, x, s); err != nil {
			return done, err
		}
	}
	return done, nil
}

// tryGetBatch takes a run of up to max committed one-slot messages with one
// CAS and hands each to fn. It returns 0 when the message at deq is not
// one (the caller takes it alone with tryGet) or when the run was taken
// under it (the caller retries).
func (q *MPMC) tryGetBatch(e *partEntry, max uint64, fn func([]byte) error) (int, error) {
	pos := q.h.deq.Load()
	k := uint64(0)
	for ; k < max; k++ {
		if q.seq(pos+k).Load() != pos+k+1 {
			break
		}
		sl := q.slot(pos + k)
		ln := binary.LittleEndian.Uint32(sl[8:])
		if binary.LittleEndian.Uint32(sl[12:]) != 1 || uint64(ln) > q.payload {
			break // a tombstone, a multi-slot message, or damage: tryGet's
		}
	}
	if k == 0 {
		return 0, nil
	}
	publish(&e.cSpan, k)
	publish(&e.cPos, pos) // the intent precedes the take
	if !q.h.deq.CompareAndSwap(pos, pos+k) {
		return 0, nil
	}
	if hookAfterTake != nil {
		hookAfterTake()
	}
	var err error
	var bytes uint64
	for i := range k {
		sl := q.slot(pos + i)
		ln := uint64(binary.LittleEndian.Uint32(sl[8:]))
		bytes += ln
		if ferr := fn(sl[slotHdr : slotHdr+ln : slotHdr+ln]); ferr != nil && err == nil {
			err = ferr
		}
	}
	q.free(e, pos, k)
	count(&e.out, k)
	count(&e.bytesOut, bytes)
	return int(k), err
}

// GetBatchFunc takes up to max messages (at least one; max < 1 means 1),
// waiting for the first as ctx allows, and calls fn on each in order: a
// run of one-slot messages is taken with one compare-and-swap, a message
// of several slots alone. The slices are valid only during fn; every
// message taken is taken whatever fn returns, and fn's first error is
// returned with the count. Errors as Get's (io.EOF once closed and
// drained).
func (q *MPMC) GetBatchFunc(ctx context.Context, max int, fn func(msg []byte) error) (int, error) {
	if max < 1 {
		max = 1
	}
	e, idx, err := q.acquire()
	if err != nil {
		return 0, err
	}
	defer q.releaseEntry(idx)
	for {
		if q.h.closed.Load()&immBit != 0 {
			return 0, q.errs.shut
		}
		if n, err := q.tryGetBatch(e, uint64(max), fn); n > 0 {
			return n, err
		}
		_, ok, eof, x, s, err := q.tryGet(e, nil, fn)
		if ok || err != nil {
			if ok {
				return 1, err
			}
			return 0, err
		}
		if eof {
			return 0, q.drainedErr()
		}
		if err := q.awaitData(ctx, e, x, s); err != nil {
			return 0, err
		}
	}
}
