package process

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/shmkit/shmkit/codec"
	"github.com/shmkit/shmkit/internal/wire"
)

// Run starts t with arg in a child, waits for it, and returns its result.
//
// ctx is the call's: the task's ctx in the child carries its deadline (it
// ends at the same instant, with context.DeadlineExceeded) and is
// cancelled when ctx is. Run then returns ctx's error once the child has
// exited: at once if the task returns, or after the grace period
// (WithGrace), when the child is killed.
func Run[A, R any](ctx context.Context, t *Task[A, R], arg A, opts ...Option) (R, error) {
	var r R
	deadline, _ := ctx.Deadline()
	p, err := startTask(ctx, t, arg, deadline, opts)
	if err != nil {
		return r, err
	}
	r, err = Wait[R](ctx, p)
	if err == nil || ctx.Err() == nil {
		return r, err
	}
	if p.IsAlive() {
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			p.armKill() // the task's ctx has the same deadline: no message needed
		} else {
			p.cancel()
		}
		<-p.done
	}
	// Whether the child noticed first (its copy of the deadline) or Join
	// did, the call failed because ctx ended.
	return r, fmt.Errorf("running %s: %w", p.name, ctx.Err())
}

// Wait joins p, a child started from a Task[A, R], and decodes its result:
// Run for a child already started, except that ctx ending leaves the child
// running (as Join). R must be the task's result type.
func Wait[R any](ctx context.Context, p *Process) (R, error) {
	var r R
	if err := p.Join(ctx); err != nil {
		return r, err
	}
	p.mu.Lock()
	f, results := p.frame, p.results
	p.mu.Unlock()
	if f == nil { // closed meanwhile
		return r, fmt.Errorf("decoding result of %s: %w", p.name, os.ErrClosed)
	}
	var err error
	if c, ok := results.(codec.Codec[R]); ok {
		r, err = c.Decode(f.Result)
	} else {
		err = wire.Decode(f.Result, &r)
	}
	if err != nil {
		return r, fmt.Errorf("decoding result of %s: %w", p.name, err)
	}
	return r, nil
}
