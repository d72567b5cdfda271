package pool

import (
	"context"
	"fmt"
	"sync/atomic"

	"github.com/shmkit/shmkit/process"
)

// mapJob collects Map's results in place.
type mapJob[R any] struct {
	ctx     context.Context
	decode  func([]byte) (R, error)
	results []R
	errs    []error
	left    atomic.Int64
	done    chan struct{}
}

func (j *mapJob[R]) Context() context.Context { return j.ctx }

func (j *mapJob[R]) Deliver(i int, res []byte, err error) {
	if err == nil {
		var derr error
		if j.results[i], derr = j.decode(res); derr != nil {
			err = fmt.Errorf("decoding result: %w", derr)
		}
	}
	j.errs[i] = err
	if j.left.Add(-1) == 0 {
		close(j.done)
	}
}

// Map runs t on every input in e's workers and returns the results in
// input order, like Python's Pool.map. Every input runs even if some fail;
// the error reports the first failed input by index (the results of the
// others are filled in).
//
// ctx is every task's: its deadline is theirs, and when it ends Map
// returns ctx's error at once, starts no more inputs, and cancels the ctx
// of those running in the workers; one still running after the pool's
// grace period (Options.Grace) is stopped and its worker replaced, so
// Join never waits longer for a cancelled Map. Timeout bounds each input.
func Map[A, R any](ctx context.Context, e Executor, t *process.Task[A, R], inputs []A, opts ...MapOption) ([]R, error) {
	cfg, err := mapOptions(len(inputs), opts)
	if err != nil {
		return nil, err
	}
	fixed := cfg.chunk
	args := make([][]byte, len(inputs))
	for i, in := range inputs {
		if args[i], err = t.EncodeArg(in); err != nil {
			return nil, fmt.Errorf("encoding input %d of %s: %w", i, t.Name(), err)
		}
	}
	if len(inputs) == 0 {
		return []R{}, nil
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	j := &mapJob[R]{ctx: ctx, decode: t.DecodeResult, results: make([]R, len(inputs)), errs: make([]error, len(inputs)), done: make(chan struct{})}
	j.left.Store(int64(len(inputs)))
	submitted := make(chan error, 1)
	go func() {
		for base := 0; base < len(args); {
			size := fixed
			if size == 0 {
				size = guidedChunk(len(args)-base, e.Workers())
			}
			size = chunkLen(args[base:], size)
			c := Chunk{Task: t.Name(), Args: args[base : base+size], Base: base, Timeout: cfg.timeout, Results: j}
			if err := e.Submit(ctx, c); err != nil {
				submitted <- err
				return
			}
			base += size
		}
		submitted <- nil
	}()
	select {
	case <-j.done:
	case err := <-submitted:
		if err != nil {
			return nil, err
		}
		select {
		case <-j.done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	case <-ctx.Done():
		return nil, ctx.Err()
	}
	for i, err := range j.errs {
		if err != nil {
			return j.results, fmt.Errorf("%s input %d: %w", t.Name(), i, err)
		}
	}
	return j.results, nil
}
