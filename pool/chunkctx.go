package pool

import (
	"context"
	"sync"
	"time"
)

// chunkCtx is the context of a chunk's items in a worker: the worker's,
// ended by the job's deadline and by a cancel record for the chunk. It is
// made lazily. A context.WithCancelCause, a WithDeadline (a timer) and an
// AfterFunc per chunk, registered and unregistered around every chunk,
// cost a worker about 1.2 µs a chunk (a fifth of its time on a pool of
// tasks that do nothing), for tasks that mostly never look at their ctx:
// chunkCtx builds them the first time someone waits on it (Done, a child
// context, an AfterFunc) or finds it ended (Err), and otherwise Err only
// compares the clock with the deadline.
//
// What the per-chunk AfterFunc did, the watchdog of the item running when
// the ctx ends, is done by the three things that end it, for whichever
// chunk is running (worker.watchCurrent): a cancel record (readControl), the
// job's deadline (one timer per worker, atDeadline, re-armed only when a
// chunk's deadline is earlier than the one it is set for: the chunks of
// one job share theirs), and the end of the worker's own ctx (one
// AfterFunc per worker). Each looks at the running item after the ctx has
// ended, and the chunk's goroutine stores the running item before it looks
// at the ctx (worker.running).
type chunkCtx struct {
	parent   context.Context // the worker's
	deadline time.Time       // the job's; zero: none

	mu     sync.Mutex
	cause  error           // a cancel record's
	inner  context.Context // made on first use
	cancel context.CancelCauseFunc
	stopDl context.CancelFunc
}

func newChunkCtx(parent context.Context, deadline int64) *chunkCtx {
	c := &chunkCtx{parent: parent}
	if deadline != 0 {
		c.deadline = time.Unix(0, deadline)
	}
	return c
}

// made returns the context behind c once made, else nil.
func (c *chunkCtx) made() context.Context {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.inner
}

// make returns the context behind c, making it if needed: the worker's
// ctx, with a cause to cancel it by, under the deadline.
func (c *chunkCtx) make() context.Context {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.inner == nil {
		var inner context.Context
		inner, c.cancel = context.WithCancelCause(c.parent)
		if !c.deadline.IsZero() {
			inner, c.stopDl = context.WithDeadline(inner, c.deadline)
		}
		c.inner = inner
		if c.cause != nil {
			c.cancel(c.cause)
		}
	}
	return c.inner
}

func (c *chunkCtx) Deadline() (time.Time, bool) {
	if d, ok := c.parent.Deadline(); ok && (c.deadline.IsZero() || d.Before(c.deadline)) {
		return d, true
	}
	return c.deadline, !c.deadline.IsZero()
}

func (c *chunkCtx) Done() <-chan struct{} { return c.make().Done() }

// Err agrees with Done: once c has ended it makes the context behind it,
// which is then done (and context.Cause finds its cause).
func (c *chunkCtx) Err() error {
	c.mu.Lock()
	live := c.inner == nil && c.cause == nil
	c.mu.Unlock()
	if live && c.parent.Err() == nil && (c.deadline.IsZero() || time.Now().Before(c.deadline)) {
		return nil
	}
	return c.make().Err()
}

// Value asks the context behind c once made (so that the context package
// finds its cancelCtx: a child registers with it, Cause reads it), else
// the worker's.
func (c *chunkCtx) Value(key any) any {
	if inner := c.made(); inner != nil {
		return inner.Value(key)
	}
	return c.parent.Value(key)
}

// AfterFunc lets context.WithCancel, WithTimeout and AfterFunc on a
// chunkCtx register with the context behind it rather than start a
// goroutine to watch Done.
func (c *chunkCtx) AfterFunc(f func()) func() bool { return context.AfterFunc(c.make(), f) }

// end cancels c with cause (a cancel record's).
func (c *chunkCtx) end(cause error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cause == nil {
		c.cause = cause
	}
	if c.cancel != nil {
		c.cancel(cause)
	}
}

// release lets go of what c made, after its chunk.
func (c *chunkCtx) release() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.stopDl != nil {
		c.stopDl()
	}
	if c.cancel != nil {
		c.cancel(nil)
	}
}

// causeOf is context.Cause(ctx) of a ctx that has ended (a chunkCtx makes
// the context that holds the cause when Err finds it ended).
func causeOf(ctx context.Context) error {
	if ctx.Err() == nil {
		return nil
	}
	return context.Cause(ctx)
}
