package process

import (
	"errors"
	"fmt"
	"os"
	"syscall"
	"time"
)

// Stopping a child. Terminate and Interrupt cancel the task's ctx (through
// the child's signal handler, see taskctx.go) and give it the child's
// grace period to return; Kill does not wait. Every cancellation made
// here also arms a timer that kills the child when the grace period is
// over, so a child that ignores its ctx, or that blocks the signal, is
// still gone by then.

// Terminate sends SIGTERM: the task's ctx is cancelled (context.Cause is
// ErrTerminated) and, once it returned, the child exits by that signal
// (ExitCode -15, as CPython's terminate()); one still running after the
// grace period (WithGrace) is killed with SIGKILL. It does not wait: Join
// does. A child already gone is not an error.
func (p *Process) Terminate() error { return p.stop(syscall.SIGTERM) }

// Interrupt sends SIGINT, CPython's Process.interrupt(): the task's ctx is
// cancelled (context.Cause is ErrInterrupted) and the child exits by the
// task's result: status 1 for the error an interrupted task returns, as
// CPython's KeyboardInterrupt; one still running after the grace period
// is killed with SIGKILL. It does not wait. A child already gone is not an
// error.
func (p *Process) Interrupt() error { return p.stop(syscall.SIGINT) }

// Kill sends SIGKILL: the child ends at once, its task unwarned. A child
// already gone is not an error.
func (p *Process) Kill() error { return p.signal(syscall.SIGKILL) }

// Signal sends sig to the child. SIGTERM and SIGINT cancel the task's ctx
// as Terminate and Interrupt do, without the parent's grace timer (the
// child keeps its own). A child already gone is not an error.
func (p *Process) Signal(sig os.Signal) error { return p.signal(sig) }

func (p *Process) stop(sig syscall.Signal) error {
	if err := p.signal(sig); err != nil {
		return err
	}
	p.armKill()
	return nil
}

func (p *Process) signal(sig os.Signal) error {
	if p.closed.Load() {
		return fmt.Errorf("signalling %s: %w", p.name, os.ErrClosed)
	}
	if !p.IsAlive() {
		return nil
	}
	if err := p.cmd.Process.Signal(sig); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("signalling %s: %w", p.name, err)
	}
	return nil
}

// cancel tells the child that the call it runs for ended (Run's ctx): its
// task's ctx is cancelled with context.Canceled, and the grace timer is
// armed.
func (p *Process) cancel() {
	p.args.Write([]byte{ctlCancel}) // closed once reaped: then nothing to cancel
	p.armKill()
}

// armKill kills the child once its grace period is over, unless it is
// reaped first; a timer already armed keeps its earlier deadline.
func (p *Process) armKill() {
	p.killMu.Lock()
	defer p.killMu.Unlock()
	if p.killTimer != nil || !p.IsAlive() {
		return
	}
	p.killTimer = time.AfterFunc(p.grace, func() { p.signal(syscall.SIGKILL) })
}

// disarm stops the grace timer of a reaped child.
func (p *Process) disarm() {
	p.killMu.Lock()
	defer p.killMu.Unlock()
	if p.killTimer != nil {
		p.killTimer.Stop()
	}
}

// Close releases what the Process holds of a child that has exited (its
// result and the failure it sent), CPython's Process.close(): an error
// wrapping ErrRunning while the child runs. Afterwards Join, Wait,
// Terminate, Interrupt, Kill and Signal fail with os.ErrClosed, IsAlive is
// false and ExitCode reports nothing; Pid, Name and Done still answer.
// Closing twice is not an error.
func (p *Process) Close() error {
	if p.IsAlive() {
		return fmt.Errorf("closing %s (pid %d): %w", p.name, p.pid, ErrRunning)
	}
	if p.closed.Swap(true) {
		return nil
	}
	p.mu.Lock()
	p.frame, p.results = nil, nil
	p.mu.Unlock()
	return nil
}
