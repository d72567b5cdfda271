package pool

import (
	"context"
	"fmt"
	"iter"
	"sync"
	"sync/atomic"

	"github.com/shmkit/shmkit/process"
)

// MapOption adjusts Map, Imap and ImapUnordered.
type MapOption func(*mapConfig)

type mapConfig struct{ chunk int }

// Chunksize sends inputs to workers n at a time (n ≥ 1). Without it, Map
// cuts its inputs into shrinking chunks: the first of Python's default
// size, len(inputs) / (4 × workers) rounded up, and each next one the same
// share of the inputs still to cut (guided self-scheduling), down to single
// inputs at the end. Python's fixed size leaves workers idle at the end
// while the last big chunks run: up to an eighth of the run on 2 workers.
// Imap and ImapUnordered send one input at a time.
func Chunksize(n int) MapOption { return func(c *mapConfig) { c.chunk = n } }

// chunkSize returns the explicit chunk size, or 0 for Map's guided sizes
// (1 for a stream, whose length is unknown).
func chunkSize(n int, opts []MapOption) (int, error) {
	var c mapConfig
	for _, o := range opts {
		o(&c)
	}
	if c.chunk < 0 {
		return 0, fmt.Errorf("chunk size %d: %w", c.chunk, errInvalid)
	}
	if c.chunk == 0 && n < 0 {
		return 1, nil
	}
	return c.chunk, nil
}

// guidedChunk is the size of the next chunk when left inputs remain to be
// cut for a pool of workers: left / (4 × workers) rounded up, at least 1.
func guidedChunk(left, workers int) int {
	return max((left+4*workers-1)/(4*workers), 1)
}

// mapJob collects Map's results in place.
type mapJob[R any] struct {
	ctx     context.Context
	decode  func([]byte) (R, error)
	results []R
	errs    []error
	left    atomic.Int64
	done    chan struct{}
}

func (j *mapJob[R]) Cancelled() bool { return j.ctx.Err() != nil }

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
// others are filled in). When ctx ends, Map stops dispatching and returns
// ctx's error at once.
func Map[A, R any](ctx context.Context, e Executor, t *process.Task[A, R], inputs []A, opts ...MapOption) ([]R, error) {
	fixed, err := chunkSize(len(inputs), opts)
	if err != nil {
		return nil, err
	}
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
		for base, size := 0, fixed; base < len(args); base += size {
			if fixed == 0 {
				size = guidedChunk(len(args)-base, e.Workers())
			}
			c := Chunk{Task: t.Name(), Args: args[base:min(base+size, len(args))], Base: base, Results: j}
			if err := e.Submit(ctx, c); err != nil {
				submitted <- err
				return
			}
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

// streamJob passes results to an iterator as they come.
type streamJob struct {
	ctx context.Context
	out chan item
}

type item struct {
	i   int
	res []byte
	err error
}

func (j *streamJob) Cancelled() bool { return j.ctx.Err() != nil }

// Deliver never blocks: out has room for every item in flight (the window).
func (j *streamJob) Deliver(i int, res []byte, err error) { j.out <- item{i, res, err} }

// Imap runs t on the inputs as they come and yields results in input
// order, as Python's Pool.imap: results are not all held at once (at most
// a window of a few chunks per worker is in flight). Stopping the loop
// early cancels the rest.
func Imap[A, R any](ctx context.Context, e Executor, t *process.Task[A, R], inputs iter.Seq[A], opts ...MapOption) iter.Seq2[R, error] {
	return stream(ctx, e, t, inputs, true, opts)
}

// ImapUnordered is Imap yielding results in the order they complete.
func ImapUnordered[A, R any](ctx context.Context, e Executor, t *process.Task[A, R], inputs iter.Seq[A], opts ...MapOption) iter.Seq2[R, error] {
	return stream(ctx, e, t, inputs, false, opts)
}

func stream[A, R any](ctx context.Context, e Executor, t *process.Task[A, R], inputs iter.Seq[A], ordered bool, opts []MapOption) iter.Seq2[R, error] {
	return func(yield func(R, error) bool) {
		var zero R
		size, err := chunkSize(-1, opts)
		if err != nil {
			yield(zero, err)
			return
		}
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		window := max(64, 4*e.Workers()*size)
		j := &streamJob{ctx: ctx, out: make(chan item, window)}
		slots := make(chan struct{}, window) // one token per item in flight
		total := make(chan int, 1)
		go feed(ctx, e, t, inputs, size, j, slots, total)

		pending := map[int]item{}
		next, seen, n := 0, 0, -1
		for n < 0 || seen < n {
			var it item
			select {
			case it = <-j.out:
			case n = <-total:
				continue
			case <-ctx.Done():
				yield(zero, ctx.Err())
				return
			}
			seen++
			if ordered {
				pending[it.i] = it
				for {
					it, ok := pending[next]
					if !ok {
						break
					}
					delete(pending, next)
					next++
					<-slots
					if !emit(yield, it, t.DecodeResult) {
						return
					}
				}
				continue
			}
			<-slots
			if !emit(yield, it, t.DecodeResult) {
				return
			}
		}
	}
}

func emit[R any](yield func(R, error) bool, it item, decode func([]byte) (R, error)) bool {
	var r R
	err := it.err
	if err == nil {
		var derr error
		if r, derr = decode(it.res); derr != nil {
			err = fmt.Errorf("decoding result %d: %w", it.i, derr)
		}
	}
	return yield(r, err)
}

// feed chunks the inputs and submits them, taking one window token per
// input so that no more than the window is ever in flight; it sends the
// input count on total when done. An input that cannot be encoded, or a
// submission that fails, becomes that input's error.
func feed[A, R any](ctx context.Context, e Executor, t *process.Task[A, R], inputs iter.Seq[A], size int, j *streamJob, slots chan struct{}, total chan<- int) {
	n := 0
	var args [][]byte
	base := 0
	flush := func() {
		if len(args) == 0 {
			return
		}
		c := Chunk{Task: t.Name(), Args: args, Base: base, Results: j}
		if err := e.Submit(ctx, c); err != nil {
			c.fail(err)
		}
		args, base = nil, n
	}
	for in := range inputs {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			flush()
			total <- n
			return
		}
		b, err := t.EncodeArg(in)
		if err != nil {
			flush()
			j.Deliver(n, nil, fmt.Errorf("encoding input %d of %s: %w", n, t.Name(), err))
			n++
			base = n
			continue
		}
		args = append(args, b)
		n++
		if len(args) == size {
			flush()
		}
	}
	flush()
	total <- n
}

// Future is the pending result of ApplyAsync.
type Future[R any] struct {
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

func (s futureSink[R]) Cancelled() bool { return false }

func (s futureSink[R]) Deliver(_ int, res []byte, err error) {
	f := s.f
	if err == nil {
		f.val, err = f.decode(res)
	}
	f.complete(err)
}

func (f *Future[R]) complete(err error) {
	f.once.Do(func() {
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
// blocks only while e's queue is full). Callbacks run in the parent.
func ApplyAsync[A, R any](e Executor, t *process.Task[A, R], arg A, opts ...AsyncOption[R]) *Future[R] {
	f := &Future[R]{done: make(chan struct{}), decode: t.DecodeResult}
	for _, o := range opts {
		o(&f.cb)
	}
	b, err := t.EncodeArg(arg)
	if err != nil {
		f.complete(fmt.Errorf("encoding argument of %s: %w", t.Name(), err))
		return f
	}
	c := Chunk{Task: t.Name(), Args: [][]byte{b}, Results: futureSink[R]{f}}
	if err := e.Submit(context.Background(), c); err != nil {
		f.complete(err)
	}
	return f
}

// Apply runs one call of t in a worker and waits for its result.
func Apply[A, R any](ctx context.Context, e Executor, t *process.Task[A, R], arg A) (R, error) {
	b, err := t.EncodeArg(arg)
	var zero R
	if err != nil {
		return zero, fmt.Errorf("encoding argument of %s: %w", t.Name(), err)
	}
	f := &Future[R]{done: make(chan struct{}), decode: t.DecodeResult}
	if err := e.Submit(ctx, Chunk{Task: t.Name(), Args: [][]byte{b}, Results: futureSink[R]{f}}); err != nil {
		return zero, err
	}
	return f.Get(ctx)
}
