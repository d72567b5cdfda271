package process

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
)

// The children of this process that have not been reaped, in the order
// they started: ActiveChildren, and Shutdown's work list.
var children = struct {
	sync.Mutex
	live []*Process
}{}

func addChild(p *Process) {
	children.Lock()
	children.live = append(children.live, p)
	children.Unlock()
}

func removeChild(p *Process) {
	children.Lock()
	children.live = slices.DeleteFunc(children.live, func(q *Process) bool { return q == p })
	children.Unlock()
}

// ActiveChildren returns this process's children that are still running
// (started by Start or Run, a pool's workers included), oldest first:
// CPython's active_children(). A child leaves the list when it has exited
// and been reaped, which happens without Join.
func ActiveChildren() []*Process {
	children.Lock()
	defer children.Unlock()
	return slices.Clone(children.live)
}

// WithDaemon(false) makes the child non-daemonic, CPython's
// daemon=False: Shutdown waits for it to finish. Children are daemonic by
// default: Shutdown terminates them. Either way a child dies with its
// parent (Go has no exit hook to wait in), so a program with non-daemonic
// children defers Shutdown in main.
func WithDaemon(daemon bool) Option { return func(c *config) { c.nonDaemon = !daemon } }

// Daemon reports whether the child is daemonic (see WithDaemon).
func (p *Process) Daemon() bool { return !p.nonDaemon }

// Shutdown is what CPython does at interpreter exit, which Go cannot hook
// (os.Exit runs nothing): it terminates the daemonic children (their
// tasks get their grace period) and waits for the non-daemonic ones to
// finish. Defer it first thing in main, after process.Main:
//
//	func main() {
//		process.Main()
//		defer process.Shutdown(context.Background())
//		...
//	}
//
// It stops the spare children first (StopSpares).
//
// When ctx ends first, Shutdown terminates the children left and returns
// ctx's error once they are gone (a grace period later at most). It
// returns nil when every child is gone, whatever their exit. A pool's
// workers are daemonic children: Join the pool first.
func Shutdown(ctx context.Context) error {
	StopSpares()
	kids := ActiveChildren()
	for _, p := range kids {
		if p.Daemon() {
			p.Terminate()
		}
	}
	var err error
	for _, p := range kids {
		select {
		case <-p.done:
			continue
		case <-ctx.Done():
		}
		if err == nil {
			err = fmt.Errorf("shutting down: %w", ctx.Err())
			for _, q := range kids {
				q.Terminate()
			}
		}
		<-p.done
	}
	return err
}

// ParentProcess is a child's handle on its parent: CPython's
// parent_process(). See Parent.
type ParentProcess struct {
	pid  int
	name string
	gone <-chan struct{} // closed when the parent is known dead
}

// parent is set by Main in a child.
var parent *ParentProcess

// Parent returns, in a child started by Start, a handle on the process
// that started it; nil in any other process. When the parent dies, the
// child's task ctx is cancelled (context.Cause: ErrParentDied) and the
// child is killed a grace period later: Wait and Done tell a goroutine of
// the task when that begins.
func Parent() *ParentProcess { return parent }

// Pid returns the parent's process id.
func (pp *ParentProcess) Pid() int { return pp.pid }

// Name returns the parent's name: "MainProcess", or its own name when it
// is itself a child.
func (pp *ParentProcess) Name() string { return pp.name }

// Done returns a channel closed when the parent is known to have died.
func (pp *ParentProcess) Done() <-chan struct{} { return pp.gone }

// Alive reports whether the parent is alive (CPython's is_alive()).
func (pp *ParentProcess) Alive() bool {
	select {
	case <-pp.gone:
		return false
	default:
		return true
	}
}

// Wait waits for the parent to die (CPython's join()), as ctx allows.
func (pp *ParentProcess) Wait(ctx context.Context) error {
	select {
	case <-pp.gone:
		return nil
	case <-ctx.Done():
		return fmt.Errorf("waiting for the parent (pid %d): %w", pp.pid, ctx.Err())
	}
}

// ErrRunning: Close of a child that is still running.
var ErrRunning = errors.New("process still running")
