package ring

import (
	"context"
	"encoding/binary"
	"io"
)

// tryGet takes the next message and hands it to fn (or copies it into buf
// when fn is nil), then frees its slots. When nothing is committed at the
// dequeue position it reports that position x and its slot's sequence s
// for the wait; eof when the queue is closed and every claim was committed
// and taken.
//
// Protocol (consumer side):
//
//	pos := deq ; seq of slot pos == pos+1 (committed), else empty or a
//	  producer still writing (behind) or stale pos (ahead: retry)
//	read and check length and span ; the span's other slots committed
//	intent := (pos, k) ; CAS deq pos → pos+k  (the take)
//	copy out ; seq of each slot := pos+i+Cap  (free for the next lap)
//	intent := none
func (q *MPMC) tryGet(e *partEntry, buf []byte, fn func([]byte) error) (n int, ok, eof bool, x, s uint64, err error) {
	for {
		pos := q.h.deq.Load()
		sv := q.seq(pos).Load()
		if sv != pos+1 {
			if sv&rescueBit != 0 || int64(sv-(pos+1)) < 0 {
				if q.h.closed.Load() != 0 && q.h.enq.Load() <= pos {
					return 0, false, true, 0, 0, nil
				}
				return 0, false, false, pos, sv, nil
			}
			if q.h.deq.Load() == pos {
				return 0, false, false, 0, 0, corrupt("queue slot %d: seq %d at dequeue position %d", pos&q.mask, sv, pos)
			}
			continue // deq moved on
		}
		sl := q.slot(pos)
		ln := binary.LittleEndian.Uint32(sl[8:])
		k := uint64(binary.LittleEndian.Uint32(sl[12:]))
		tomb := ln == tombLen
		bad := k == 0 || k > q.nslots ||
			!tomb && (uint64(ln) > k*q.payload || k > 1 && uint64(ln) <= (k-1)*q.payload)
		for i := uint64(1); i < k && !bad; i++ {
			bad = q.seq(pos+i).Load() != pos+i+1
		}
		if bad {
			if q.h.deq.Load() != pos {
				continue // taken under us: what we read was a later state
			}
			return 0, false, false, 0, 0, corrupt("queue slot %d: length %d span %d", pos&q.mask, ln, k)
		}
		if !tomb && fn == nil && int(ln) > len(buf) {
			return 0, false, false, 0, 0, q.errs.errorf("message of %d bytes, buffer of %d: %w", ln, len(buf), io.ErrShortBuffer)
		}
		publish(&e.cSpan, k)
		publish(&e.cPos, pos) // the intent precedes the take
		if !q.h.deq.CompareAndSwap(pos, pos+k) {
			continue
		}
		if tomb {
			q.free(e, pos, k)
			continue
		}
		if hookAfterTake != nil {
			hookAfterTake()
		}
		n, err = q.deliver(pos, k, int(ln), buf, fn)
		q.free(e, pos, k)
		count(&e.out, 1)
		count(&e.bytesOut, uint64(ln))
		return n, true, false, 0, 0, err
	}
}

// deliver copies the message out, or lends it to fn (gathered into a
// scratch buffer when it spans slots).
func (q *MPMC) deliver(pos, k uint64, n int, buf []byte, fn func([]byte) error) (int, error) {
	if k == 1 {
		b := q.slot(pos)[slotHdr : slotHdr+n]
		if fn != nil {
			return n, fn(b)
		}
		return copy(buf, b), nil
	}
	dst := buf
	if fn != nil {
		dst = make([]byte, n)
	}
	for i := range k {
		lo := i * q.payload
		hi := min(lo+q.payload, uint64(n))
		copy(dst[lo:hi], q.slot(pos + i)[slotHdr:])
	}
	if fn != nil {
		return n, fn(dst)
	}
	return n, nil
}

// free releases a taken span for the next lap and wakes waiting producers.
func (q *MPMC) free(e *partEntry, pos, k uint64) {
	for i := k; i > 0; i-- {
		publish(q.seq(pos+i-1), pos+i-1+q.nslots) // pairs with the producer's load in tryPut
	}
	publish(&e.cPos, noPos)
	if q.h.spaceWait.wake() {
		count(&e.wakes, 1)
	}
}

// getWait waits for the slot at x to change from s, deq to move, or the
// queue to close and drain.
type getWait struct {
	q    *MPMC
	e    *partEntry
	x, s uint64
}

func (w *getWait) crowded() bool { return w.q.crowded() }

func (w *getWait) ready() (bool, error) {
	q := w.q
	c := q.h.closed.Load()
	return q.h.deq.Load() != w.x || q.seq(w.x).Load() != w.s ||
		c != 0 && q.h.enq.Load() <= w.x || c&immBit != 0, nil
}

// stuck: a producer claimed x and has not committed it; if it died, write a
// tombstone in its place.
func (w *getWait) stuck() error {
	if w.q.h.enq.Load() > w.x {
		w.q.rescueProducerAt(w.x, w.e)
	}
	return nil
}

func (q *MPMC) get(ctx context.Context, buf []byte, fn func([]byte) error, wait bool) (int, error) {
	e, idx, err := q.acquire()
	if err != nil {
		return 0, err
	}
	defer q.releaseEntry(idx)
	for {
		if q.h.closed.Load()&immBit != 0 {
			return 0, q.errs.shut
		}
		n, ok, eof, x, s, err := q.tryGet(e, buf, fn)
		if ok || err != nil {
			return n, err
		}
		if eof {
			return 0, q.drainedErr()
		}
		if !wait {
			if q.h.enq.Load() > x && q.fixDue() {
				w := getWait{q, e, x, s}
				if w.stuck(); w.q.seq(x).Load() != s {
					continue
				}
			}
			return 0, q.errs.emp
		}
		if err := q.awaitData(ctx, e, x, s); err != nil {
			return 0, err
		}
	}
}

// drainedErr is the error of a take from a queue closed and drained:
// io.EOF, or ErrShutdown (wrapped) when it was shut down.
func (q *MPMC) drainedErr() error {
	if q.h.closed.Load()&shutBit != 0 {
		return q.errs.shut
	}
	return io.EOF
}

// awaitData waits for the slot at x to change from s, deq to move, or the
// queue to close and drain.
func (q *MPMC) awaitData(ctx context.Context, e *partEntry, x, s uint64) error {
	w := getWait{q, e, x, s}
	return await(ctx, &q.h.dataWait, q.mode, &q.spinC, &w, waitStats{&e.emptyWts, &e.sleeps})
}

// Get copies the next message into buf, waiting for one as ctx allows;
// io.EOF once the queue is closed and drained (ErrShutdown, wrapped, once
// it is shut down and drained, or at once after Shutdown(true)). A message
// longer than buf stays queued and the error wraps io.ErrShortBuffer.
func (q *MPMC) Get(ctx context.Context, buf []byte) (int, error) { return q.get(ctx, buf, nil, true) }

// TryGet is Get that never waits: ErrEmpty when nothing is committed.
func (q *MPMC) TryGet(buf []byte) (int, error) { return q.get(context.Background(), buf, nil, false) }

// GetFunc takes the next message and calls fn on it, waiting as ctx allows.
// The slice is valid only during fn (it may point into shared memory); the
// message is taken whatever fn returns, and fn's error is returned.
func (q *MPMC) GetFunc(ctx context.Context, fn func(msg []byte) error) error {
	_, err := q.get(ctx, nil, fn, true)
	return err
}

// TryGetFunc is GetFunc that never waits.
func (q *MPMC) TryGetFunc(fn func(msg []byte) error) error {
	_, err := q.get(context.Background(), nil, fn, false)
	return err
}
