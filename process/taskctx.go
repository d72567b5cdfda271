package process

import (
	"context"
	"io"
	"os"
	"os/signal"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// The task's context in a child, and the one cancellation story every
// child keeps (package pool's workers included, since a worker is an
// ordinary task). The task's ctx ends when:
//
//   - the parent's ctx for the call ends: Run writes ctlCancel on the
//     argument pipe (and a deadline travels in the environment, so that the
//     child's ctx ends at the same instant with context.DeadlineExceeded,
//     without waiting for a message);
//   - the child gets SIGTERM (Terminate) or SIGINT (Interrupt), from the
//     parent or from anyone else; context.Cause says which;
//   - the parent dies: end of file on the argument pipe, or the
//     parent-death signal (SIGHUP, see start), with ErrParentDied.
//
// Whatever ended it, the child then has its grace period (WithGrace) to
// return, after which it kills itself with SIGKILL; the parent arms the
// same timer on its side for the cancellations it makes. So a task that
// ignores its ctx costs the grace period, never a hang.
//
// How the child exits once the task returned: after SIGTERM it dies by
// SIGTERM (status -15, as CPython's terminate() gives, whether or not the
// task unwound); after anything else by its result (status 1 for an
// error: an interrupted task that returns ctx.Err() exits 1, as CPython's
// KeyboardInterrupt does).

// ctlCancel is the one control byte a parent writes on the argument pipe
// after the argument: "the call ended, cancel the task".
const ctlCancel = 'c'

type taskCtx struct {
	ctx        context.Context
	cancel     context.CancelCauseFunc
	noDeadline context.CancelFunc // releases the deadline's timer; never needed before exit
	grace      time.Duration
	terminated atomic.Bool // SIGTERM arrived: exit by it
	parentOnce sync.Once
	parentGone chan struct{} // closed when the parent is known dead
}

// newTaskCtx builds the task's context and starts what cancels it. args is
// the argument pipe, read to its end by watch. sigs, when not nil, is a
// channel already notified of SIGTERM, SIGINT and SIGHUP (a spare's, see
// notifyEarly); else newTaskCtx makes it.
func newTaskCtx(args *os.File, grace time.Duration, deadline time.Time, sigs chan os.Signal) *taskCtx {
	base, cancel := context.WithCancelCause(context.Background())
	t := &taskCtx{ctx: base, cancel: cancel, noDeadline: func() {}, grace: grace, parentGone: make(chan struct{})}
	if !deadline.IsZero() {
		t.ctx, t.noDeadline = context.WithDeadline(base, deadline)
	}
	if sigs == nil {
		sigs = notifyTask()
	}
	go t.onSignals(sigs)
	go t.watch(args)
	context.AfterFunc(t.ctx, t.armSelfKill)
	return t
}

// notifyTask returns a channel notified of the signals that cancel a task.
// The first signal.Notify of a process starts the runtime's signal thread
// and waits for it, once per signal: a few hundred microseconds here,
// which a spare spends before it has a task.
func notifyTask() chan os.Signal {
	sigs := make(chan os.Signal, 3)
	signal.Notify(sigs, syscall.SIGTERM, syscall.SIGINT, syscall.SIGHUP)
	return sigs
}

func (t *taskCtx) onSignals(sigs <-chan os.Signal) {
	for s := range sigs {
		switch s {
		case syscall.SIGHUP: // the parent-death signal, or a hang-up: the other side is gone
			t.parentDied()
		case syscall.SIGTERM:
			t.terminated.Store(true)
			t.cancel(ErrTerminated)
		default:
			t.cancel(ErrInterrupted)
		}
	}
}

// watch reads the argument pipe after the argument: the parent writes
// ctlCancel when its call ends, and holds the pipe open until it has
// reaped this child, so end of file means the parent died.
func (t *taskCtx) watch(args io.Reader) {
	var b [1]byte
	for {
		if _, err := args.Read(b[:]); err != nil {
			t.parentDied()
			return
		}
		if b[0] == ctlCancel {
			t.cancel(context.Canceled)
		}
	}
}

func (t *taskCtx) parentDied() {
	t.parentOnce.Do(func() { close(t.parentGone) })
	t.cancel(ErrParentDied)
}

// armSelfKill runs once the task's ctx ended: a grace period later, the
// child kills itself, whether or not the task returned (if it did, the
// child has exited long before).
func (t *taskCtx) armSelfKill() {
	time.AfterFunc(t.grace, killSelf)
}

func killSelf() {
	if p, err := os.FindProcess(os.Getpid()); err == nil {
		p.Kill()
	}
	select {} // SIGKILL cannot be caught: this never returns
}

// exit ends the child with code, or by SIGTERM when one cancelled the
// task (as if the signal had killed it, a little later).
func (t *taskCtx) exit(code int) {
	if t.terminated.Load() {
		signal.Reset(syscall.SIGTERM)
		if p, err := os.FindProcess(os.Getpid()); err == nil {
			p.Signal(syscall.SIGTERM)
		}
		time.Sleep(time.Second) // the signal is on its way
	}
	os.Exit(code)
}
