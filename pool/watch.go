package pool

import (
	"context"
	"errors"
	"slices"
)

// ---- watching jobs' contexts ----
//
// When a job's ctx ends, the worker running one of its chunks must hear
// of it (a cancel record per chunk, on the control ring). A slot watches
// each context once, not each chunk: context.AfterFunc per chunk (an
// allocation, and an insert into and a delete from the parent context's
// children under its lock) was a fifth of the parent's time per task in
// BenchmarkPoolTrivial. A watch is keyed by the context's Done channel
// (comparable whatever the Sink's type; jobs sharing a ctx share it) and
// holds the ids of the chunks of that ctx this slot has in flight; it is
// stopped when the last of them is done.
//
// Order: a chunk's id joins its watch before the slot checks the ctx and
// writes the chunk, so a ctx that ends in between finds the id and sends
// its cancel record, possibly before the chunk itself: the worker keeps
// cancelled ids it has not seen yet (worker.cancelled) for that case.

// watch is one watched context's chunks in this slot.
type watch struct {
	ids  []uint64    // in flight, oldest first; under slot.ctlMu
	stop func() bool // stops the AfterFunc; only the slot goroutine calls it
}

// watchChunk adds c to the watch of its job's ctx, starting the watch if
// this slot has no chunk of that ctx in flight. A ctx that never ends
// needs none.
func (s *slot) watchChunk(c *chunk) {
	jctx := c.job.Context()
	done := jctx.Done()
	if done == nil || c.watched != nil {
		return
	}
	c.watched = done
	s.ctlMu.Lock()
	w := s.watches[done]
	if w == nil {
		w = &watch{}
		if s.watches == nil {
			s.watches = make(map[<-chan struct{}]*watch)
		}
		s.watches[done] = w
	}
	w.ids = append(w.ids, c.id)
	s.ctlMu.Unlock()
	if w.stop == nil {
		w.stop = context.AfterFunc(jctx, func() { s.cancelWatch(jctx, w) })
	}
}

// unwatch takes c out of its watch, stopping the watch when it was the
// last: c is done, or will be sent anew under another id.
func (s *slot) unwatch(c *chunk) {
	if c.watched == nil {
		return
	}
	s.ctlMu.Lock()
	w := s.watches[c.watched]
	var stop func() bool
	if w != nil {
		if i := slices.Index(w.ids, c.id); i >= 0 {
			w.ids = slices.Delete(w.ids, i, i+1)
		}
		if len(w.ids) == 0 {
			delete(s.watches, c.watched)
			stop = w.stop
		}
	}
	s.ctlMu.Unlock()
	c.watched = nil
	if stop != nil {
		stop()
	}
}

// cancelWatch runs when a watched ctx ends: a cancel record for each of
// its chunks in flight. A deadline needs none: each chunk carries it, and
// the worker's ctx ends by it, as context.DeadlineExceeded. It runs on the
// goroutine that ended the ctx (or one of the context package's): it must
// not wait long, and never after the pool's memory is gone.
func (s *slot) cancelWatch(jctx context.Context, w *watch) {
	if errors.Is(jctx.Err(), context.DeadlineExceeded) {
		return
	}
	s.ctlMu.Lock()
	defer s.ctlMu.Unlock()
	if s.ctlClosed {
		return
	}
	for _, id := range w.ids {
		// Room is plentiful (a record per chunk in flight); a full ring
		// means a dead or wedged worker, which the slot replaces anyway.
		s.control.TryWrite(appendCancel(nil, id))
	}
}
