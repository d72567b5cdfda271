package pool

import (
	"context"
	"fmt"
	"sync"

	"github.com/shmkit/shmkit/process"
)

// Future is the pending result of ApplyAsync or MapAsync: Python's
// AsyncResult. It completes once, with the result or an error (the call's
// ctx's error when that ctx ends first).
type Future[R any] struct {
	ctx    context.Context // the call's
	done   chan struct{}
	decode func([]byte) (R, error)
	once   sync.Once
	val    R     // set once, before done is closed
	err    error // likewise

	mu       sync.Mutex
	finished bool        // val and err are set: callbacks run at once
	stop     func() bool // stops the watch on ctx
	onOK     []func(R)
	onErr    []func(error)
}

func newFuture[R any](ctx context.Context, decode func([]byte) (R, error)) *Future[R] {
	return &Future[R]{ctx: ctx, done: make(chan struct{}), decode: decode}
}

// watch completes f with ctx's error when ctx ends first.
func (f *Future[R]) watch() {
	stop := context.AfterFunc(f.ctx, func() {
		var zero R
		f.complete(zero, f.ctx.Err())
	})
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.finished {
		stop()
		return
	}
	f.stop = stop
}

// complete sets the outcome, the first time only, runs the callbacks
// registered so far, then marks f done.
func (f *Future[R]) complete(v R, err error) {
	f.once.Do(func() {
		f.val, f.err = v, err
		f.mu.Lock()
		f.finished = true
		stop, ok, fail := f.stop, f.onOK, f.onErr
		f.onOK, f.onErr = nil, nil
		f.mu.Unlock()
		if stop != nil {
			stop()
		}
		if err == nil {
			for _, fn := range ok {
				fn(v)
			}
		} else {
			for _, fn := range fail {
				fn(err)
			}
		}
		close(f.done)
	})
}

// OnSuccess has fn called with the result once it is in, if the call
// succeeds (Python's callback), in the parent: on the goroutine that
// completes f (one of the pool's), before Get returns, so it must return
// quickly; at once, on the caller's goroutine, if f succeeded already. It
// returns f, so calls chain:
//
//	pool.ApplyAsync(ctx, p, task, x).OnSuccess(save).OnError(report)
func (f *Future[R]) OnSuccess(fn func(R)) *Future[R] {
	f.mu.Lock()
	if !f.finished {
		f.onOK = append(f.onOK, fn)
		f.mu.Unlock()
		return f
	}
	f.mu.Unlock()
	if f.err == nil {
		fn(f.val)
	}
	return f
}

// OnError has fn called with the error if the call fails (Python's
// error_callback), as OnSuccess calls its function.
func (f *Future[R]) OnError(fn func(error)) *Future[R] {
	f.mu.Lock()
	if !f.finished {
		f.onErr = append(f.onErr, fn)
		f.mu.Unlock()
		return f
	}
	f.mu.Unlock()
	if f.err != nil {
		fn(f.err)
	}
	return f
}

// Get waits for the result as ctx allows.
func (f *Future[R]) Get(ctx context.Context) (R, error) {
	select {
	case <-f.done:
		return f.val, f.err
	case <-ctx.Done():
		var zero R
		return zero, ctx.Err()
	}
}

// Done is closed once the result (or error) is in.
func (f *Future[R]) Done() <-chan struct{} { return f.done }

// Ready reports whether the result is in (Python's AsyncResult.ready).
func (f *Future[R]) Ready() bool {
	select {
	case <-f.done:
		return true
	default:
		return false
	}
}

// futureSink is a Future's Sink (one pointer: no allocation in an
// interface), so that a Future's own methods stay those of its users.
type futureSink[R any] struct{ f *Future[R] }

func (s futureSink[R]) Context() context.Context { return s.f.ctx }

func (s futureSink[R]) Deliver(_ int, res []byte, err error) {
	f := s.f
	var v R
	if err == nil {
		if v, err = f.decode(res); err != nil {
			err = fmt.Errorf("decoding result: %w", err)
		}
	}
	f.complete(v, err)
}

// ApplyAsync submits one call of t and returns its Future at once (it
// blocks only while e's queue is full, as ctx allows): Python's
// apply_async, with OnSuccess and OnError for its callbacks. ctx and opts
// are Apply's: when ctx ends the Future completes with ctx's error and the
// task, if running, sees its ctx end.
func ApplyAsync[A, R any](ctx context.Context, e Executor, t *process.Task[A, R], arg A, opts ...MapOption) *Future[R] {
	f := newFuture(ctx, t.DecodeResult)
	var zero R
	cfg, err := mapOptions(1, opts)
	if err != nil {
		f.complete(zero, err)
		return f
	}
	b, err := t.EncodeArg(arg)
	if err != nil {
		f.complete(zero, fmt.Errorf("encoding argument of %s: %w", t.Name(), err))
		return f
	}
	f.watch()
	c := Chunk{Task: t.Name(), Args: [][]byte{b}, Timeout: cfg.timeout, Results: futureSink[R]{f}}
	if err := e.Submit(ctx, c); err != nil {
		f.complete(zero, err)
	}
	return f
}

// Apply runs one call of t in a worker and waits for its result, as Map
// does for many (ctx and Timeout alike; Chunksize means nothing here).
func Apply[A, R any](ctx context.Context, e Executor, t *process.Task[A, R], arg A, opts ...MapOption) (R, error) {
	var zero R
	cfg, err := mapOptions(1, opts)
	if err != nil {
		return zero, err
	}
	b, err := t.EncodeArg(arg)
	if err != nil {
		return zero, fmt.Errorf("encoding argument of %s: %w", t.Name(), err)
	}
	f := newFuture(ctx, t.DecodeResult)
	if err := e.Submit(ctx, Chunk{Task: t.Name(), Args: [][]byte{b}, Timeout: cfg.timeout, Results: futureSink[R]{f}}); err != nil {
		return zero, err
	}
	return f.Get(ctx)
}

// MapAsync starts Map of t over inputs and returns one Future for all the
// results at once: Python's map_async (and starmap_async: a task of
// several arguments takes a struct), with OnSuccess and OnError for its
// callback and error_callback. The Future completes as Map returns: with
// the results in input order, or the first failed input's error (its
// value then holds the other results, as Map's), or ctx's error when ctx
// ends first, which cancels the running tasks as Map's ctx does.
func MapAsync[A, R any](ctx context.Context, e Executor, t *process.Task[A, R], inputs []A, opts ...MapOption) *Future[[]R] {
	f := newFuture[[]R](ctx, nil)
	go func() { f.complete(Map(ctx, e, t, inputs, opts...)) }()
	return f
}
