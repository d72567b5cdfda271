package ring

import (
	"context"
	"errors"

	"github.com/shmkit/shmkit/internal/owner"
)

// Taking turns on a pipe end. A Ring keeps its positions privately (the
// producer its tail, the consumer its head) and publishes them for the
// other side; that is what makes it fast, and what made several processes
// sending on one end lose messages: each wrote from its own stale tail,
// over the others' records. So each side of each of a pipe's rings has a
// lock in the pipe's header (an internal/owner robust lock word: pid and
// start time, a futex, ErrOwnerDead after a holder's death), and every
// call that sends (or receives) holds it from start to end:
//
//	lock ; resync: the shared position still what this handle published
//	last? keep the private state, else start over from the shared
//	position (what Ring.start does for a new writer or reader) ;
//	the call ; unlock
//
// The resync costs one load of the side's own position line when the
// same handle made the call before, which is the common case. Two
// goroutines or processes that send at once thus take turns (a Queue's
// users rely on the same); nothing is interleaved or lost.
//
// A process killed while it holds the lock leaves it to the next caller
// with ErrOwnerDead, who starts over from the shared position (whatever
// the dead one reserved and did not commit is dropped, whatever it peeked
// and did not release is read again, as for a Ring) and marks the lock
// consistent: a dead sender costs at most the message it was sending, a
// dead receiver re-delivers the one it was taking.

// lockSide takes lk for this process and resyncs with resync(force).
func lockSide(ctx context.Context, lk *owner.Lock, sp *owner.Spinner, resync func(force bool)) (uint64, error) {
	me, err := owner.SelfID()
	if err != nil {
		return 0, err
	}
	err = lk.Lock(ctx, me, sp)
	force := false
	if errors.Is(err, owner.ErrOwnerDead) {
		force, err = true, lk.MarkConsistent(me)
	}
	if err != nil {
		return 0, err
	}
	resync(force)
	return me, nil
}

// lockSend takes the send side of c's end.
func (c *Conn) lockSend(ctx context.Context) (uint64, error) {
	if c.closed.Load() {
		return 0, c.errClosed
	}
	me, err := lockSide(ctx, c.send.dir.prodLock, &c.sendSpin, c.send.p.resync)
	if err != nil {
		return 0, c.p.errs.errorf("end %d: waiting for the send side: %w", c.end, err)
	}
	return me, nil
}

// lockRecv takes the receive side of c's end.
func (c *Conn) lockRecv(ctx context.Context) (uint64, error) {
	if c.closed.Load() {
		return 0, c.errClosed
	}
	me, err := lockSide(ctx, c.recv.dir.consLock, &c.recvSpin, c.recv.c.resync)
	if err != nil {
		return 0, c.p.errs.errorf("end %d: waiting for the receive side: %w", c.end, err)
	}
	return me, nil
}

func (c *Conn) unlockSend(me uint64) { c.send.dir.prodLock.Unlock(me) } //nolint:errcheck // we hold it
func (c *Conn) unlockRecv(me uint64) { c.recv.dir.consLock.Unlock(me) } //nolint:errcheck // we hold it

// resync drops the producer's private positions unless the shared tail is
// still the one it published last (no other handle wrote since), so that
// the next reserve starts over from the shared tail. Called with the
// side's lock held, with nothing reserved.
func (p *producer) resync(force bool) {
	if force || !p.started || p.pending || p.r.h.prodPos.pos.Load() != p.committed {
		p.started, p.pending = false, false
	}
}

// resync is the consumer's: start over from the shared head unless it is
// still the one this consumer released last.
func (c *consumer) resync(force bool) {
	if force || !c.started || c.r.h.consPos.pos.Load() != c.released {
		c.started = false
		c.recs, c.bytes = 0, 0
	}
}
