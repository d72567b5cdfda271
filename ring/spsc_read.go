package ring

import (
	"context"
	"io"
)

// start takes over the consumer side from the published head. The
// published tail may lag behind it: the producer stores its tail after the
// commit (spsc_write.go), so a consumer handle that read records between
// the two stores (another process sharing a pipe's read end, or this one
// before a restart) leaves a head up to a ring's worth ahead of the tail.
// The obvious check "tail >= head" is wrong for that reason. Only the
// distance is checked here; every record is checked in peek.
func (c *consumer) start() error {
	h := c.r.h
	hd, t := h.consPos.pos.Load(), h.prodPos.pos.Load()
	if !posNear(t, hd, c.r.cap) || hd&7 != 0 || t&7 != 0 {
		return corrupt("tail %d head %d capacity %d", t, hd, c.r.cap)
	}
	c.head, c.released, c.started = hd, hd, true
	h.cons.owner.Store(selfID()) // see spsc_peer.go
	return nil
}

// peek returns the next record and the head just past it, without taking
// it; ok is false when the ring is empty. It reads only the record's header
// word (0 until the producer commits it, see producer.commit) and checks
// every length before use: a record must lie inside the data area. Padding
// is skipped, at most a ring's worth per call, so a hostile ring of
// padding cannot spin it forever.
func (c *consumer) peek() (rec []byte, next uint64, ok bool, err error) {
	if !c.started {
		if err := c.start(); err != nil {
			return nil, 0, false, err
		}
	}
	head := c.head
	for skipped := uint64(0); ; {
		hw := c.r.hdrWord(head).Load() // pairs with the producer's publish in commit
		if hw == 0 {
			return nil, head, false, nil
		}
		pos := head & c.r.mask
		n := uint64(uint32(hw))
		flags := uint32(hw >> 32)
		size := recSize(n)
		if flags&recLive == 0 || pos+size > c.r.cap || size > c.r.cap-recHdr || head+size-c.released > c.r.cap-recHdr {
			return nil, 0, false, corrupt("record header %#x at %d, capacity %d", hw, pos, c.r.cap)
		}
		head += size
		if flags&recPad != 0 {
			if skipped += size; skipped > c.r.cap {
				return nil, 0, false, corrupt("a ring of padding at %d", pos)
			}
			// Padding is consumed at once: skip it for good so that a
			// failed read does not walk it again.
			c.head = head
			continue
		}
		d := c.r.data
		return d[pos+recHdr : pos+recHdr+n : pos+recHdr+n], head, true, nil
	}
}

func (c *consumer) take(rec []byte, next uint64) {
	c.head = next
	c.recs++
	c.bytes += uint64(len(rec))
}

// release publishes the head: every record peeked so far is freed.
func (c *consumer) release() {
	if c.head == c.released {
		return
	}
	h := c.r.h
	publish(&h.consPos.pos, c.head) // frees the space: pairs with the producer's load in refreshHead
	c.released = c.head
	count(&h.cons.msgs, c.recs)
	count(&h.cons.bytes, c.bytes)
	c.recs, c.bytes = 0, 0
	if h.spaceWait.wake() {
		count(&h.cons.wakes, 1)
	}
}

// ready: a record was committed at the head, or the ring closed (or, in a
// pipe, no process holds the writing end).
func (c *consumer) ready() (bool, error) {
	if c.r.hdrWord(c.head).Load() != 0 || c.r.h.closed.Load() != 0 {
		return true, nil
	}
	d := c.r.dir
	return d != nil && d.p.line(d.writer).count.Load() == 0, nil
}

// next returns the next record, waiting as ctx allows; io.EOF once the ring
// is closed and drained, ErrPeerDead once the writer died and it is
// drained (found by stuck, while waiting).
func (c *consumer) next(ctx context.Context, wait bool) (rec []byte, next uint64, err error) {
	for {
		rec, next, ok, err := c.peek()
		if ok || err != nil {
			return rec, next, err
		}
		if c.r.h.closed.Load() != 0 {
			// Closed: look once more, since a commit may have raced
			// with Close; then it is the end.
			if rec, next, ok, err = c.peek(); ok || err != nil {
				return rec, next, err
			}
			c.release()
			return nil, 0, io.EOF
		}
		if d := c.r.dir; d != nil && d.p.line(d.writer).count.Load() == 0 {
			// No process holds the writing end: as for Close, a commit
			// made before the last holder let go is there by now.
			if rec, next, ok, err = c.peek(); ok || err != nil {
				return rec, next, err
			}
			c.release()
			return nil, 0, d.noWriters()
		}
		if !wait {
			if c.recs == 0 {
				c.release() // padding skipped: give its room back
			}
			return nil, 0, c.r.errs.emp
		}
		// Free what was peeked, else a producer waiting for room and this
		// consumer waiting for data would wait for each other.
		c.release()
		h := c.r.h
		if err := await(ctx, &h.dataWait, c.r.mode, &c.spin, c,
			waitStats{&h.cons.waits, &h.cons.sleeps}); err != nil {
			return nil, 0, err
		}
	}
}

// Peek returns the next record without copying it, waiting for one as ctx
// allows; io.EOF once the ring is closed and drained, ErrPeerDead (wrapped)
// once the writer died and it is drained (as Read). The record is taken:
// the next Peek returns the one after it. Its space is freed by Release
// (which frees every record peeked so far, with one store) or by a Peek,
// Read or ReadBatch that has to wait, which releases first. The slice must
// not be used after that.
func (r *Ring) Peek(ctx context.Context) ([]byte, error) {
	rec, next, err := r.c.next(ctx, true)
	if err != nil {
		return nil, err
	}
	r.c.take(rec, next)
	return rec, nil
}

// TryPeek is Peek that never waits (and never releases): ErrEmpty when
// there is nothing to read.
func (r *Ring) TryPeek() ([]byte, error) {
	rec, next, err := r.c.next(context.Background(), false)
	if err != nil {
		return nil, err
	}
	r.c.take(rec, next)
	return rec, nil
}

// Release frees every record taken by Peek, with one store.
func (r *Ring) Release() { r.c.release() }

// Read copies the next record into buf and releases it, waiting for one as
// ctx allows; io.EOF once the ring is closed and drained, an error wrapping
// ErrPeerDead once the writer's process died (without closing) and every
// record it committed was read. A record longer than buf is left in the
// ring and the error wraps io.ErrShortBuffer (see Next for the length).
func (r *Ring) Read(ctx context.Context, buf []byte) (int, error) {
	return r.read(ctx, buf, true)
}

// TryRead is Read that never waits: ErrEmpty when there is nothing to read.
func (r *Ring) TryRead(buf []byte) (int, error) {
	return r.read(context.Background(), buf, false)
}

func (r *Ring) read(ctx context.Context, buf []byte, wait bool) (int, error) {
	rec, next, err := r.c.next(ctx, wait)
	if err != nil {
		return 0, err
	}
	if len(rec) > len(buf) {
		return 0, r.errs.errorf("record of %d bytes, buffer of %d: %w", len(rec), len(buf), io.ErrShortBuffer)
	}
	n := copyChunked(buf, rec)
	r.c.take(rec, next)
	r.c.release()
	return n, nil
}

// Next returns the length of the next record, waiting for one as ctx
// allows, without taking it.
func (r *Ring) Next(ctx context.Context) (int, error) {
	rec, _, err := r.c.next(ctx, true)
	return len(rec), err
}

// ReadBatch waits (as ctx allows) for at least one record, then calls fn on
// every record available, up to max (0: no limit), and releases them all
// with one store. The slices fn sees are valid only during the call. It
// returns how many records fn saw.
func (r *Ring) ReadBatch(ctx context.Context, max int, fn func(rec []byte)) (int, error) {
	rec, next, err := r.c.next(ctx, true)
	if err != nil {
		return 0, err
	}
	n := 0
	for {
		r.c.take(rec, next)
		fn(rec)
		n++
		if max > 0 && n >= max {
			break
		}
		var ok bool
		rec, next, ok, err = r.c.peek()
		if err != nil || !ok {
			break
		}
	}
	r.c.release()
	return n, err
}
