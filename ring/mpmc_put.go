package ring

import (
	"context"
	"encoding/binary"
	"time"
)

// tryPut claims, fills and commits the slots for p. When the queue is full
// it reports the position x whose slot is not yet free, and that slot's
// sequence s, for the wait.
//
// Protocol (producer side):
//
//	pos := enq ; every slot pos..pos+k-1 free for its position (seq == pos+i),
//	  else full (seq behind: the slot still holds the previous lap) or
//	  stale pos (seq ahead: retry) ;
//	  when the capacity is below the slot count: pos+k-deq <= capacity,
//	  else full (wait for deq to move)
//	intent := (pos, k) ; CAS enq pos → pos+k  (the claim)
//	write payload and header ; seq of slots 2..k := committed ;
//	seq of slot 1 := pos+1  (the commit store: consumers look only there)
//	intent := none
func (q *MPMC) tryPut(e *partEntry, p []byte) (ok bool, x, s uint64, err error) {
	k := q.span(len(p))
	if k > q.limit {
		return false, 0, 0, q.errs.errorf("message of %d bytes, queue holds %d: %w", len(p), q.MaxMessage(), ErrTooLarge)
	}
	if q.h.closed.Load() != 0 {
		return false, 0, 0, q.closedErr()
	}
	var pos uint64
claim:
	for {
		pos = q.h.enq.Load()
		for i := range k {
			sv := q.seq(pos + i).Load()
			if sv == pos+i {
				continue
			}
			if sv&rescueBit != 0 || int64(sv-(pos+i)) < 0 {
				return false, pos + i, sv, nil
			}
			if q.h.enq.Load() == pos {
				// A slot ahead of an unmoved enq: never so in a sound
				// queue (claims move enq first).
				return false, 0, 0, corrupt("queue slot %d: seq %d at enqueue position %d", (pos+i)&q.mask, sv, pos)
			}
			continue claim // enq moved on
		}
		if q.limit < q.nslots {
			// The capacity asked for is below the power of two of
			// slots: count what is claimed and not yet taken. deq only
			// grows, so a stale load errs on the full side, and what it
			// allows stays allowed until the CAS below.
			if d := q.h.deq.Load(); pos+k-d > q.limit && int64(pos-d) >= 0 {
				return false, noPos, d, nil
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
	q.fill(pos, k, p)
	if q.h.flags&flagJoinable != 0 {
		q.h.unfinished.Add(1)
	}
	for i := uint64(1); i < k; i++ {
		q.seq(pos + i).Store(pos + i + 1)
	}
	publish(q.seq(pos), pos+1) // commit: pairs with the consumer's load in tryGet
	publish(&e.pPos, noPos)
	count(&e.in, 1)
	count(&e.bytesIn, uint64(len(p)))
	if q.h.dataWait.wake() {
		count(&e.wakes, 1)
	}
	return true, 0, 0, nil
}

// fill writes the header and payload of a claimed span.
func (q *MPMC) fill(pos, k uint64, p []byte) {
	sl := q.slot(pos)
	binary.LittleEndian.PutUint32(sl[8:], uint32(len(p)))
	binary.LittleEndian.PutUint32(sl[12:], uint32(k))
	if k == 1 {
		copy(sl[slotHdr:], p)
		return
	}
	for i := range k {
		piece := p[i*q.payload : min((i+1)*q.payload, uint64(len(p)))]
		copy(q.slot(pos + i)[slotHdr:], piece)
	}
}

// putWait waits for the slot at x to change from s, or for Close; when x
// is noPos (the queue holds its capacity), for deq to move on from s.
type putWait struct {
	q    *MPMC
	e    *partEntry
	x, s uint64
}

func (w *putWait) crowded() bool { return w.q.crowded() }

func (w *putWait) ready() (bool, error) {
	if w.q.h.closed.Load() != 0 {
		return true, nil
	}
	if w.x == noPos {
		return w.q.h.deq.Load() != w.s, nil // pairs with the consumer's CAS in tryGet (free wakes after it)
	}
	return w.q.seq(w.x).Load() != w.s, nil
}

// stuck: the slot still holds the message of position s-1 of the previous
// lap; if a consumer took it and died, free it. (A wait for deq needs no
// rescue: a dead consumer's take has moved deq already.)
func (w *putWait) stuck() error {
	if w.x != noPos && w.s&rescueBit == 0 && w.s >= 1 && w.s-1+w.q.nslots == w.x {
		w.q.rescueConsumerAt(w.s-1, w.e)
	}
	return nil
}

// Put copies p into the queue as one message, waiting for room as ctx
// allows. A message longer than MaxMessage is ErrTooLarge; a closed queue
// os.ErrClosed.
func (q *MPMC) Put(ctx context.Context, p []byte) error {
	e, idx, err := q.acquire()
	if err != nil {
		return err
	}
	defer q.releaseEntry(idx)
	for {
		ok, x, s, err := q.tryPut(e, p)
		if ok || err != nil {
			return err
		}
		if err := q.awaitSpace(ctx, e, x, s); err != nil {
			return err
		}
	}
}

// awaitSpace waits for the slot at x to change from s (for deq to move on
// from s when x is noPos), or for Close.
func (q *MPMC) awaitSpace(ctx context.Context, e *partEntry, x, s uint64) error {
	w := putWait{q, e, x, s}
	return await(ctx, &q.h.spaceWait, q.mode, &q.spinP, &w, waitStats{&e.fullWaits, &e.sleeps})
}

// TryPut is Put that never waits: ErrFull when there is no room.
func (q *MPMC) TryPut(p []byte) error {
	e, idx, err := q.acquire()
	if err != nil {
		return err
	}
	defer q.releaseEntry(idx)
	ok, x, s, err := q.tryPut(e, p)
	if err != nil {
		return err
	}
	if !ok {
		if q.fixDue() {
			w := putWait{q, e, x, s}
			w.stuck()
		}
		return q.errs.full
	}
	return nil
}

// fixDue rate-limits the rescue scans of Try calls (they cannot wait for a
// timeout slice to notice a dead peer) to one per millisecond per handle.
func (q *MPMC) fixDue() bool {
	now := time.Now().UnixNano()
	last := q.lastFix.Load()
	return now-last > int64(time.Millisecond) && q.lastFix.CompareAndSwap(last, now)
}
