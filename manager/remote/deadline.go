package remote

import (
	"context"
	"net"
	"sync"
	"time"
)

// The server's two bounds on time, kept off the path of a request that
// does not wait. Setting a connection's read and write deadlines before
// every request, and making each request a context.WithTimeout, reset
// timers of the runtime three times per request (and WithTimeout
// allocates and registers with its parent) for bounds that almost never
// fire; a request served in a few microseconds paid about one more for
// them.

// idleDeadline keeps a connection's deadline (read and write) at least
// idle ahead of the last time it was extended, and at most idle + idle/8:
// it moves the deadline only when it has fallen under idle ahead, so
// a connection busy with requests resets it once per idle/8, not twice
// per request. A client that sends nothing, or stalls in the middle of a
// frame, or does not read its replies, is cut off after between idle and
// idle + idle/8.
type idleDeadline struct {
	c     net.Conn
	idle  time.Duration
	until time.Time // the deadline set last; zero: set it at the next extend
}

// extend makes sure the deadline is at least idle ahead of now.
func (d *idleDeadline) extend() {
	now := time.Now()
	if !d.until.IsZero() && d.until.Sub(now) >= d.idle {
		return
	}
	d.until = now.Add(d.idle + d.idle/8)
	d.c.SetDeadline(d.until)
}

// forget says someone else moved the connection's deadlines
// (serveWaiting): the next extend sets them again.
func (d *idleDeadline) forget() { d.until = time.Time{} }

// requestCtx is the context of one request: the connection's, bounded by
// the server's RequestTimeout. The timer behind the bound is made the
// first time someone waits on the context (Done, a child context, an
// AfterFunc) — a stripe lock that is held, a queue that is empty, a
// registered method that waits — and a request that never waits only
// reads the clock (Err). release stops the timer, if one was made.
type requestCtx struct {
	context.Context // the connection's
	deadline        time.Time

	mu     sync.Mutex
	timed  context.Context // with the deadline, made on first use
	cancel context.CancelFunc
}

func newRequestCtx(ctx context.Context, timeout time.Duration) *requestCtx {
	return &requestCtx{Context: ctx, deadline: time.Now().Add(timeout)}
}

func (r *requestCtx) withDeadline() context.Context {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.timed == nil {
		r.timed, r.cancel = context.WithDeadline(r.Context, r.deadline)
	}
	return r.timed
}

func (r *requestCtx) Deadline() (time.Time, bool) {
	if d, ok := r.Context.Deadline(); ok && d.Before(r.deadline) {
		return d, true
	}
	return r.deadline, true
}

func (r *requestCtx) Done() <-chan struct{} { return r.withDeadline().Done() }

// Err agrees with Done: once the connection's context ends or the
// deadline passes, it makes the timed context, which is then done.
func (r *requestCtx) Err() error {
	r.mu.Lock()
	timed := r.timed
	r.mu.Unlock()
	if timed == nil && r.Context.Err() == nil && time.Now().Before(r.deadline) {
		return nil
	}
	return r.withDeadline().Err()
}

// Value asks the timed context once it exists, so that the context
// package finds its cancelCtx (a child registers with it, Cause reads
// it); before, the connection's.
func (r *requestCtx) Value(key any) any {
	r.mu.Lock()
	timed := r.timed
	r.mu.Unlock()
	if timed != nil {
		return timed.Value(key)
	}
	return r.Context.Value(key)
}

// AfterFunc lets context.WithCancel, WithTimeout and AfterFunc on a
// requestCtx register with the timed context instead of starting a
// goroutine to watch Done.
func (r *requestCtx) AfterFunc(f func()) func() bool {
	return context.AfterFunc(r.withDeadline(), f)
}

func (r *requestCtx) release() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cancel != nil {
		r.cancel()
	}
}
