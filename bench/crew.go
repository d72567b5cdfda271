package bench

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/shmkit/shmkit/process"
	"github.com/shmkit/shmkit/shm"
	"golang.org/x/sync/errgroup"
)

// A crew is the harness of the scenarios whose peers share objects rather
// than a link (lock, value, dict): one child per argument, each started
// through its own registered task before the clock runs. A child attaches
// what it was sent, arrives at the control block (control.go) and waits;
// the parent opens the gate when every child has arrived, reads the clock,
// and reads it again when every child has finished its timed loop. So
// process start-up and attaching are never in a figure, and the time is
// all the children's operations together, from one start to the last
// finish.
//
// The whole crew is bounded by the case's timeout: a child still running
// then is killed (process.Run kills on its context's end) and the result
// says the case hung; a child that fails cancels the others at once (an
// errgroup, as the session's peers).

// crewCtl makes a control block in a fresh anonymous segment, which every
// child started after it inherits; release unmaps it.
func crewCtl() (ctl *control, release func(), err error) {
	seg, err := shm.Anonymous(64<<10, nil)
	if err != nil {
		return nil, nil, err
	}
	ctl, err = newControl(seg)
	if err != nil {
		seg.Close()
		return nil, nil, err
	}
	return ctl, func() { seg.Close() }, nil
}

// runCrew runs one child of t per argument and returns the time from the
// gate's opening to the last child's finish, and the children's results
// in argument order.
func runCrew[A, R any](ctx context.Context, c Case, ctl *control, t *process.Task[A, R], args []A) (time.Duration, []R, error) {
	ctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()
	// The first worker to fail cancels gctx: the other workers are killed
	// and the parent's waits on the gate end.
	g, gctx := errgroup.WithContext(ctx)
	outs := make([]R, len(args))
	for i, a := range args {
		g.Go(func() error {
			r, err := process.Run(gctx, t, a, process.WithName(fmt.Sprintf("bench-%s-%d", c.Scenario, i)))
			if err != nil {
				return fmt.Errorf("%s worker %d: %w", c.Scenario, i, err)
			}
			outs[i] = r
			return nil
		})
	}
	n := uint32(len(args))
	var d time.Duration
	t0, err := ctl.open(gctx, n)
	if err == nil {
		var t1 time.Time
		t1, err = ctl.waitDone(gctx, n)
		d = t1.Sub(t0)
	}
	if err != nil {
		cancel()
	}
	groupErr := g.Wait()
	switch {
	case errors.Is(ctx.Err(), context.DeadlineExceeded):
		return 0, nil, fmt.Errorf("hung or too slow: not done within %v; workers killed", c.Timeout)
	case realErr(groupErr) != nil:
		return 0, nil, groupErr
	case err != nil:
		return 0, nil, err
	case groupErr != nil:
		return 0, nil, groupErr
	}
	return d, outs, nil
}

// crewJoin is a child's side of the gate: attach the control block sent as
// hb, arrive, and return a function to call when the timed loop is over.
// hang is the test hook of a worker that never finishes: it arrives, then
// waits for its end.
func crewJoin(ctx context.Context, hb []byte, hang bool) (finish func() error, err error) {
	ctl, err := attachControl(hb)
	if err != nil {
		return nil, err
	}
	if err := ctl.arrive(ctx); err != nil {
		return nil, err
	}
	if hang {
		<-ctx.Done()
		return nil, ctx.Err()
	}
	return ctl.finish, nil
}

// splitOps divides ops among n workers, the first ones taking the rest.
func splitOps(ops, n, i int) int {
	per := ops / n
	if i < ops%n {
		per++
	}
	return per
}

// errCount is the failure of an exact count.
func errCount(what string, got, want int64) error {
	return fmt.Errorf("wrong count: %s is %d, want %d: %w", what, got, want, ErrCorrupt)
}
