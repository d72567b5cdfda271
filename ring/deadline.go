package ring

import (
	"os"
	"sync"
	"time"
)

// deadline is one direction's deadline of a Conn, as net.Conn has them
// (the shape of net.Pipe's): a channel closed when the deadline passes,
// which a pending call waits on, so that a deadline set while it waits
// (in the past, to interrupt it; later, to extend it) applies to it. The
// zero value has no deadline.
type deadline struct {
	mu     sync.Mutex
	timer  *time.Timer
	cancel chan struct{} // closed when the deadline passes; nil: not made yet
}

// set sets the deadline to t; the zero time means none.
func (d *deadline) set(t time.Time) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.timer != nil && !d.timer.Stop() {
		<-d.cancel // the timer fired: wait for its close
	}
	d.timer = nil
	if d.cancel == nil {
		d.cancel = make(chan struct{})
	}
	closed := isClosed(d.cancel)
	if t.IsZero() {
		if closed {
			d.cancel = make(chan struct{})
		}
		return
	}
	if dur := time.Until(t); dur > 0 {
		if closed {
			d.cancel = make(chan struct{})
		}
		cancel := d.cancel
		d.timer = time.AfterFunc(dur, func() { close(cancel) })
		return
	}
	if !closed {
		close(d.cancel)
	}
}

// wait returns the channel closed when the deadline passes.
func (d *deadline) wait() <-chan struct{} {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.cancel == nil {
		d.cancel = make(chan struct{})
	}
	return d.cancel
}

func isClosed(c <-chan struct{}) bool {
	select {
	case <-c:
		return true
	default:
		return false
	}
}

// deadlineCtx is the context a Conn's Read or Write waits with: done when
// the deadline passes, and then its error is os.ErrDeadlineExceeded (what
// net.Conn returns). It carries no deadline of its own (a deadline moved
// while a call waits is seen through done), and no values.
type deadlineCtx struct{ done <-chan struct{} }

func (deadlineCtx) Deadline() (time.Time, bool) { return time.Time{}, false }
func (c deadlineCtx) Done() <-chan struct{}     { return c.done }
func (deadlineCtx) Value(any) any               { return nil }

func (c deadlineCtx) Err() error {
	if isClosed(c.done) {
		return os.ErrDeadlineExceeded
	}
	return nil
}
