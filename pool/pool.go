package pool

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shmkit/shmkit/internal/wire"
	"github.com/shmkit/shmkit/process"
	"github.com/shmkit/shmkit/ring"
	"github.com/shmkit/shmkit/shm"
)

var (
	// ErrClosed: work submitted after Close or Terminate.
	ErrClosed = errors.New("pool closed")
	// ErrTerminated: work that Terminate cut short.
	ErrTerminated = errors.New("pool terminated")
	// ErrWorkerDied fails the task a worker was running when it exited, for
	// any reason: a signal, a non-zero status, or status 0 (a task that
	// calls os.Exit). The error wraps the worker's *process.ExitError,
	// which names the status or signal. The pool does not run that task
	// again.
	ErrWorkerDied = errors.New("pool worker died")
)

// Options configure New. The zero value is valid.
type Options struct {
	// Workers is the number of worker processes; runtime.NumCPU() when 0.
	Workers int
	// MaxTasksPerChild replaces a worker after it ran this many tasks
	// (0: never), as Python's maxtasksperchild.
	MaxTasksPerChild int
	// Initializer runs once in each worker before its first task, with
	// InitArg; a failing initializer fails New.
	Initializer interface{ Name() string }
	InitArg     any
	// QueueSize bounds the chunks waiting for a worker; submitting more
	// blocks (as the caller's context allows). 32×Workers when 0.
	QueueSize int
	// RingSize is the size of each worker's task and result rings in bytes
	// (default 1 MiB). It tunes throughput only: an input, a result or an
	// error larger than a ring travels in pieces, up to MaxMessage.
	RingSize int
	// Grace is how long a task whose ctx ended (its call's ctx, its
	// Timeout, Terminate) has to return before its worker is stopped and
	// replaced (process.DefaultGrace when 0; a negative value: at once).
	Grace time.Duration
}

// Pool is a set of worker processes running registered tasks, fed through
// shared-memory rings: Python's multiprocessing.Pool. A worker that exits
// for any reason (status 0 included) while running a task fails that task,
// with an error wrapping ErrWorkerDied that names its exit status or
// signal, and is replaced; the task is never run again (the inputs of its
// chunk it had not started run in another worker), and the pool never
// hangs. Its methods are safe for concurrent use. It is the local
// Executor.
//
// Workers inherit the anonymous segments that exist when they start: an
// object in an anonymous segment made after New reaches a worker only
// once a replacement starts (a task that cannot attach one fails with an
// error wrapping os.ErrNotExist that says so). Create shared objects
// before the pool, or in named segments.
type Pool struct {
	opts    Options
	seg     *shm.Segment
	pending chan *chunk
	slots   []*slot
	initArg []byte

	ctx       context.Context // cancelled by Terminate
	terminate context.CancelFunc
	stop      chan struct{} // closed by Join once all work is done
	closed    atomic.Bool
	work      sync.WaitGroup // chunks submitted and not yet finished
	slotsDone sync.WaitGroup
	shutdown  sync.Once
	nextID    atomic.Uint64
	idle      atomic.Int32           // slots waiting for work
	lastTask  atomic.Pointer[string] // the task Submit last found registered
	// draining: no slot takes chunks any more; a chunk queued now is
	// failed by whoever drains the queue (see drain).
	draining atomic.Bool

	errMu sync.Mutex
	err   error // a fatal error (the initializer fails): fails all work

	inherited map[uint64]bool // the anonymous segments the first workers inherit
}

// New starts the workers and waits until each is ready (its initializer
// ran). ctx bounds the start. Workers, and the replacements of those that
// exit, start as process.Start starts any child: handed to a spare child
// when process.EnableSpares keeps some ready (one per worker, the others
// exec'ed; each spare's replacement starts at once, beside the rest),
// else exec'ed.
func New(ctx context.Context, opts Options) (*Pool, error) {
	if opts.Workers == 0 {
		opts.Workers = runtime.NumCPU()
	}
	if opts.Workers < 0 || opts.Workers > 1024 {
		return nil, fmt.Errorf("pool of %d workers: must be 1..1024: %w", opts.Workers, errInvalid)
	}
	if opts.MaxTasksPerChild < 0 || opts.QueueSize < 0 || opts.RingSize < 0 {
		return nil, fmt.Errorf("pool options %+v: negative: %w", opts, errInvalid)
	}
	if opts.QueueSize == 0 {
		// Deep enough that a Map's feeding goroutine, once the queue is
		// full, is woken once per burst of the slots' takes rather than
		// for nearly every one: 4×Workers cost 10-20% per trivial task
		// (BenchmarkPoolTrivial, QueueSize 8 against 64 and 1024,
		// interleaved); a queued chunk holds only references to inputs
		// its job already encoded.
		opts.QueueSize = 32 * opts.Workers
	}
	if opts.RingSize == 0 {
		opts.RingSize = 1 << 20
	}
	switch {
	case opts.Grace == 0:
		opts.Grace = process.DefaultGrace
	case opts.Grace < 0:
		opts.Grace = 0
	}
	p := &Pool{opts: opts, pending: make(chan *chunk, opts.QueueSize), stop: make(chan struct{})}
	if opts.Initializer != nil {
		if _, ok := wire.Lookup(opts.Initializer.Name()); !ok {
			return nil, fmt.Errorf("initializer %q: %w", opts.Initializer.Name(), process.ErrUnknownTask)
		}
		b, err := wire.Encode(opts.InitArg)
		if err != nil {
			return nil, fmt.Errorf("encoding initializer argument: %w", err)
		}
		p.initArg = b
	}
	seg, err := shm.Anonymous(opts.Workers*(2*(opts.RingSize+8192)+controlRingSize+8192), &shm.Options{Objects: 3 * opts.Workers})
	if err != nil {
		return nil, err
	}
	p.seg = seg
	if p.inherited, err = exportedIDs(); err != nil {
		seg.Close()
		return nil, err
	}
	p.ctx, p.terminate = context.WithCancel(context.Background())
	ready := make(chan error, opts.Workers)
	for i := range opts.Workers {
		s, err := newSlot(p, i)
		if err != nil {
			p.Terminate()
			return nil, err
		}
		p.slots = append(p.slots, s)
		p.slotsDone.Add(1)
		go s.run(ready)
	}
	for range opts.Workers {
		select {
		case err = <-ready:
		case <-ctx.Done():
			err = ctx.Err()
		}
		if err != nil {
			p.Terminate()
			return nil, fmt.Errorf("starting pool: %w", err)
		}
	}
	return p, nil
}

var errInvalid = os.ErrInvalid

var _ Executor = (*Pool)(nil)

// Workers returns the number of worker processes.
func (p *Pool) Workers() int { return p.opts.Workers }

// Pids returns the current workers' process ids (0 for a slot between
// workers).
func (p *Pool) Pids() []int {
	pids := make([]int, len(p.slots))
	for i, s := range p.slots {
		pids[i] = int(s.pid.Load())
	}
	return pids
}

func (p *Pool) fatal() error {
	p.errMu.Lock()
	defer p.errMu.Unlock()
	return p.err
}

func (p *Pool) setFatal(err error) {
	p.errMu.Lock()
	defer p.errMu.Unlock()
	if p.err == nil {
		p.err = err
	}
}

// Submit queues a chunk for the next free worker, as ctx allows (see
// Executor).
func (p *Pool) Submit(ctx context.Context, ch Chunk) error {
	if p.closed.Load() {
		return ErrClosed
	}
	if err := p.fatal(); err != nil {
		return err
	}
	if ch.Timeout < 0 {
		return fmt.Errorf("timeout %v: %w", ch.Timeout, errInvalid)
	}
	if last := p.lastTask.Load(); last == nil || *last != ch.Task {
		if _, ok := wire.Lookup(ch.Task); !ok {
			// The workers are this binary: what is not registered here
			// is not there either.
			return fmt.Errorf("task %q: %w", ch.Task, process.ErrUnknownTask)
		}
		name := ch.Task
		p.lastTask.Store(&name)
	}
	return p.enqueue(ctx, &chunk{id: p.nextID.Add(1), task: ch.Task, args: ch.Args, base: ch.Base, timeout: ch.Timeout, job: ch.Results})
}

// enqueue queues c for the slots, as ctx allows.
func (p *Pool) enqueue(ctx context.Context, c *chunk) error {
	p.work.Add(1)
	// Room in the queue: a plain send, without the three-way select
	// below (a Map submits its chunks back to back, and the select was a
	// tenth of the parent's time per trivial task).
	select {
	case p.pending <- c:
		p.drainLate()
		return nil
	default:
	}
	select {
	case p.pending <- c:
		p.drainLate()
		return nil
	case <-ctx.Done():
		p.work.Done()
		return ctx.Err()
	case <-p.ctx.Done():
		p.work.Done()
		return ErrTerminated
	}
}

// Close stops the pool from taking new work; queued work still runs.
func (p *Pool) Close() { p.closed.Store(true) }

// Join waits for all submitted work to finish, then stops the workers and
// releases the pool's shared memory. Call Close first (Join closes the
// pool if not). When ctx ends first, Join terminates the pool and returns
// ctx's error: no worker outlives Join.
func (p *Pool) Join(ctx context.Context) error {
	p.Close()
	done := make(chan struct{})
	go func() { p.work.Wait(); close(done) }()
	select {
	case <-done:
	case <-ctx.Done():
		p.Terminate()
		return ctx.Err()
	}
	p.shutdownOnce(false)
	return nil
}

// Terminate stops the workers at once, as Python's Pool.terminate:
// unfinished work fails with ErrTerminated, and the running tasks' ctx is
// cancelled (SIGTERM: context.Cause is process.ErrTerminated), each
// worker killed once its task returned or Options.Grace passed. It waits
// for the workers to be reaped.
func (p *Pool) Terminate() {
	p.Close()
	p.shutdownOnce(true)
}

func (p *Pool) shutdownOnce(kill bool) {
	p.shutdown.Do(func() {
		if kill {
			p.terminate()
		}
		close(p.stop)
		p.slotsDone.Wait()
		p.terminate()
		for _, s := range p.slots {
			s.closeControl()
		}
		p.draining.Store(true)
		p.drain()
		p.seg.Close()
	})
}

// drainLate drains the queue when a chunk was queued after the shutdown
// began (see drain).
func (p *Pool) drainLate() {
	if p.draining.Load() {
		p.drain()
	}
}

// drain fails every chunk left in the queue once no slot takes any. Both
// the shutdown and a Submit that queued a chunk after it call it: a Submit
// that passed the closed check before Close, and sent after the shutdown
// had drained, would otherwise leave its job waiting forever. The
// shutdown sets draining before it drains and Submit reads it after its
// send, so one of them finds the chunk.
func (p *Pool) drain() {
	for {
		select {
		case c := <-p.pending:
			c.failRest(ErrTerminated)
			p.work.Done()
		default:
			return
		}
	}
}

// chunk is a run of consecutive inputs of one job sent to a worker as one
// record. Results come back in order; next counts those delivered.
type chunk struct {
	id      uint64
	task    string
	args    [][]byte
	base    int // index of args[0] in the job
	next    int
	timeout time.Duration
	job     Sink
	sent    time.Duration   // when a slot wrote it to its worker (see clock)
	watched <-chan struct{} // the job ctx's Done, while c is in its watch (watch.go)
}

func (c *chunk) failRest(err error) {
	for ; c.next < len(c.args); c.next++ {
		c.job.Deliver(c.base+c.next, nil, err)
	}
}

// rest returns the undelivered inputs as a new chunk.
func (c *chunk) rest(id uint64) *chunk {
	return &chunk{id: id, task: c.task, args: c.args[c.next:], base: c.base + c.next, timeout: c.timeout, job: c.job}
}

func workerName(i int) string { return "PoolWorker-" + strconv.Itoa(i+1) }

func newSlot(p *Pool, i int) (*slot, error) {
	opts := &ring.Options{Capacity: p.opts.RingSize}
	t, err := ring.NewRing(p.seg, "w"+strconv.Itoa(i)+".tasks", opts)
	if err != nil {
		return nil, err
	}
	r, err := ring.NewRing(p.seg, "w"+strconv.Itoa(i)+".results", opts)
	if err != nil {
		return nil, err
	}
	ctl, err := ring.NewRing(p.seg, "w"+strconv.Itoa(i)+".control", &ring.Options{Capacity: controlRingSize})
	if err != nil {
		return nil, err
	}
	return &slot{pool: p, index: i, tasks: t, results: r, control: ctl}, nil
}

// controlRingSize holds a few hundred cancel records: one per chunk in
// flight is the most a worker ever needs.
const controlRingSize = 4096

func attachRing(h shm.Handle) (*ring.Ring, error) { return shm.AttachAs[ring.Ring](h) }

// exportedIDs returns the ids of the anonymous segments a child started
// now would inherit.
func exportedIDs() (map[uint64]bool, error) {
	exports, err := shm.Exports()
	if err != nil {
		return nil, err
	}
	ids := map[uint64]bool{}
	for _, e := range exports {
		ids[e.ID] = true
		e.File.Close()
	}
	return ids, nil
}

// withSegmentHint adds the fix to a task's failure to find something
// (os.ErrNotExist) when anonymous segments were made after New: a handle
// to an object in one cannot be attached by a worker that was already
// running, and the error the worker got cannot say why.
func (p *Pool) withSegmentHint(err error) error {
	if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	now, xerr := exportedIDs()
	if xerr != nil {
		return err
	}
	for id := range now {
		if !p.inherited[id] {
			return fmt.Errorf("%w (the pool's workers inherit only the anonymous segments that existed when they started, and one was made after pool.New: create shared objects before pool.New, or in a named segment)", err)
		}
	}
	return err
}
