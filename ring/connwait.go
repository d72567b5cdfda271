package ring

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync"
	"time"
)

// Doner is the shape of the objects Wait accepts besides Conns and
// channels: a *process.Process is one (ready once it exited, as Python's
// Process.sentinel), and so is a context.Context.
type Doner interface{ Done() <-chan struct{} }

// Wait waits, as ctx allows, until at least one of objs is ready, and
// returns every one that is, in the order given: Python's
// multiprocessing.connection.wait. An object is one of:
//
//   - a *Conn: ready when a Recv would not wait (a message is there, or
//     the end of the stream, or an error);
//   - a Doner, ready once its Done channel is closed;
//   - a <-chan struct{} (or chan struct{}), ready once closed.
//
// With none ready by the time ctx ends,
// it returns ctx's error (Python returns an empty list); with a ctx that
// is done already it only looks. An object of another type is an error
// wrapping os.ErrInvalid.
//
// Waiting on a Conn takes no message and does not take the end's turn:
// another receiver (in this process or another) may take the message
// that made it ready before this process's Recv does, which then waits.
// Each Conn waited on costs a goroutine asleep on its ring's futex (and
// so an OS thread) while Wait waits.
func Wait(ctx context.Context, objs ...any) ([]any, error) {
	for i, o := range objs {
		switch o.(type) {
		case *Conn, Doner, <-chan struct{}, chan struct{}:
		default:
			return nil, fmt.Errorf("ring.Wait: object %d is a %T: want a *Conn, a Done() <-chan struct{} or a <-chan struct{}: %w", i, o, os.ErrInvalid)
		}
	}
	woke := make([]bool, len(objs)) // set by a Conn's wait that ended on its own
	for {
		if ready := readyOf(objs, woke); len(ready) > 0 {
			return ready, nil
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		waitAny(ctx, objs, woke)
	}
}

// readyOf returns the objects ready now, in order.
func readyOf(objs []any, woke []bool) []any {
	var ready []any
	for i, o := range objs {
		if woke[i] || readyNow(o) {
			ready = append(ready, o)
		}
		woke[i] = false
	}
	return ready
}

func readyNow(o any) bool {
	switch o := o.(type) {
	case *Conn:
		return o.readyNow()
	case Doner:
		return isClosed(o.Done())
	case <-chan struct{}:
		return isClosed(o)
	case chan struct{}:
		return isClosed(o)
	}
	return false
}

// waitAny blocks until one of objs may be ready or ctx ends: a goroutine
// per object, the first to return cancels the others, and every one has
// returned (and stopped touching shared memory) before waitAny does.
func waitAny(ctx context.Context, objs []any, woke []bool) {
	inner, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	for i, o := range objs {
		var done <-chan struct{}
		switch o := o.(type) {
		case *Conn:
			wg.Go(func() {
				if o.waitReadable(inner) {
					woke[i] = true
					cancel()
				}
			})
			continue
		case Doner:
			done = o.Done()
		case <-chan struct{}:
			done = o
		case chan struct{}:
			done = o
		}
		wg.Go(func() {
			select {
			case <-done:
				cancel()
			case <-inner.Done():
			}
		})
	}
	wg.Wait()
}

// readyNow reports whether a Recv on c would not wait, without taking
// the end's turn: a message committed at the shared head (padding skipped),
// the ring closed, no process holding the other end, or this handle closed
// or holding the rest of a message (Read).
func (c *Conn) readyNow() bool {
	if c.recv == nil {
		return false
	}
	if c.closed.Load() || c.partial.Load() {
		return true
	}
	r := c.recv
	if r.h.closed.Load() != 0 {
		return true
	}
	if d := r.dir; d.p.line(d.writer).count.Load() == 0 {
		return true
	}
	return r.hasRecord()
}

// hasRecord reports whether a record is committed at the shared head,
// looking past padding. A damaged header counts as something to read (a
// Recv fails at once on it).
func (r *Ring) hasRecord() bool {
	hd := r.h.consPos.pos.Load()
	for walked := uint64(0); walked <= r.cap; {
		hw := r.hdrWord(hd).Load()
		if hw == 0 {
			return false
		}
		size := recSize(uint64(uint32(hw)))
		flags := uint32(hw >> 32)
		if flags&recLive == 0 || (hd&r.mask)+size > r.cap || flags&recPad == 0 {
			return true
		}
		hd += size
		walked += size
	}
	return true
}

// errGone ends a readable wait whose writers are all gone (the count may
// still say otherwise after a crash; the scan does not).
var errGone = errors.New("no writer left")

// waitReadable waits until c may be ready (true) or ctx ends (false).
func (c *Conn) waitReadable(ctx context.Context) bool {
	r := c.recv
	var sp spinner
	err := await(ctx, &r.h.dataWait, r.mode, &sp, readable{c}, waitStats{})
	return err == nil || err == errGone
}

// readable is the waitCond of waitReadable.
type readable struct{ c *Conn }

func (w readable) ready() (bool, error) { return w.c.readyNow(), nil }

// stuck heals the writing end's dead holders; none left ends the wait.
func (w readable) stuck() error {
	d := w.c.recv.dir
	if n, _ := d.p.live(d.writer); n == 0 {
		return errGone
	}
	return nil
}

func (w readable) slice() time.Duration {
	d := w.c.recv.dir
	return d.slice(d.writer)
}
