package pool

import (
	"context"
	"fmt"
	"sync"

	"github.com/shmkit/shmkit/process"
)

// Future is the pending result of ApplyAsync.
type Future[R any] struct {
	ctx    context.Context // the call's
	stop   func() bool     // stops the watch on ctx
	done   chan struct{}
	decode func([]byte) (R, error)
	val    R
	err    error
	cb     asyncConfig[R]
	once   sync.Once
}

// AsyncOption adds a callback to ApplyAsync.
type AsyncOption[R any] func(*asyncConfig[R])

type asyncConfig[R any] struct {
	ok   func(R)
	fail func(error)
}

// OnSuccess runs fn with the result in the parent (as Python's callback),
// on a pool goroutine: it must return quickly.
func OnSuccess[R any](fn func(R)) AsyncOption[R] { return func(c *asyncConfig[R]) { c.ok = fn } }

// OnError runs fn with the error in the parent (Python's error_callback).
func OnError[R any](fn func(error)) AsyncOption[R] { return func(c *asyncConfig[R]) { c.fail = fn } }

// futureSink is a Future's Sink (one pointer: no allocation in an
// interface), so that a Future's own methods stay those of its users.
type futureSink[R any] struct{ f *Future[R] }

func (s futureSink[R]) Context() context.Context { return s.f.ctx }

func (s futureSink[R]) Deliver(_ int, res []byte, err error) {
	f := s.f
	if err == nil {
		f.val, err = f.decode(res)
	}
	f.complete(err)
}

func newFuture[A, R any](ctx context.Context, t *process.Task[A, R]) *Future[R] {
	return &Future[R]{ctx: ctx, done: make(chan struct{}), decode: t.DecodeResult}
}

// watch completes f with ctx's error when ctx ends first.
func (f *Future[R]) watch() {
	f.stop = context.AfterFunc(f.ctx, func() { f.complete(f.ctx.Err()) })
}

func (f *Future[R]) complete(err error) {
	f.once.Do(func() {
		if f.stop != nil {
			f.stop()
		}
		f.err = err
		if err == nil && f.cb.ok != nil {
			f.cb.ok(f.val)
		}
		if err != nil && f.cb.fail != nil {
			f.cb.fail(err)
		}
		close(f.done)
	})
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

// ApplyAsync submits one call of t and returns its Future at once (it
// blocks only while e's queue is full, as ctx allows). Callbacks run in
// the parent. ctx is the task's, as Map's: when it ends the Future
// completes with ctx's error and the task, if running, sees its ctx end.
func ApplyAsync[A, R any](ctx context.Context, e Executor, t *process.Task[A, R], arg A, opts ...AsyncOption[R]) *Future[R] {
	f := newFuture(ctx, t)
	for _, o := range opts {
		o(&f.cb)
	}
	b, err := t.EncodeArg(arg)
	if err != nil {
		f.complete(fmt.Errorf("encoding argument of %s: %w", t.Name(), err))
		return f
	}
	f.watch()
	c := Chunk{Task: t.Name(), Args: [][]byte{b}, Results: futureSink[R]{f}}
	if err := e.Submit(ctx, c); err != nil {
		f.complete(err)
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
	f := newFuture(ctx, t)
	if err := e.Submit(ctx, Chunk{Task: t.Name(), Args: [][]byte{b}, Timeout: cfg.timeout, Results: futureSink[R]{f}}); err != nil {
		return zero, err
	}
	return f.Get(ctx)
}
