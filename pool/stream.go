package pool

import (
	"context"
	"fmt"
	"iter"

	"github.com/shmkit/shmkit/process"
)

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

func (j *streamJob) Context() context.Context { return j.ctx }

// Deliver never blocks: out has room for every item in flight (the window).
func (j *streamJob) Deliver(i int, res []byte, err error) { j.out <- item{i, res, err} }

// Imap runs t on the inputs as they come and yields results in input
// order, as Python's Pool.imap: results are not all held at once (at most
// a window of a few chunks per worker is in flight). Stopping the loop
// early, or ctx ending, cancels the rest as Map's ctx does: the tasks
// running in the workers see their ctx end.
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
		cfg, err := mapOptions(-1, opts)
		if err != nil {
			yield(zero, err)
			return
		}
		size := cfg.chunk
		ctx, cancel := context.WithCancel(ctx)
		defer cancel()
		window := max(64, 4*e.Workers()*size)
		j := &streamJob{ctx: ctx, out: make(chan item, window)}
		slots := make(chan struct{}, window) // one token per item in flight
		total := make(chan int, 1)
		go feed(ctx, e, t, inputs, cfg, j, slots, total)

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
func feed[A, R any](ctx context.Context, e Executor, t *process.Task[A, R], inputs iter.Seq[A], cfg mapConfig, j *streamJob, slots chan struct{}, total chan<- int) {
	size := cfg.chunk
	n, base, bytes := 0, 0, 0
	var args [][]byte
	flush := func() {
		if len(args) == 0 {
			return
		}
		c := Chunk{Task: t.Name(), Args: args, Base: base, Timeout: cfg.timeout, Results: j}
		if err := e.Submit(ctx, c); err != nil {
			c.fail(err)
		}
		args, base, bytes = nil, n, 0
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
		bytes += len(b)
		n++
		if len(args) == size || bytes >= maxChunkBytes {
			flush()
		}
	}
	flush()
	total <- n
}
