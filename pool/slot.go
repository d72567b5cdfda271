package pool

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/shmkit/shmkit/internal/wire"
	"github.com/shmkit/shmkit/process"
	"github.com/shmkit/shmkit/ring"
)

// inflightDepth is how many chunks a worker may have queued: one running
// and one waiting, so it never idles between chunks. Chunks that take the
// worker under tinyBelow go tinyDepth deep: then the handoff itself (a
// result read, the next chunk written, often a wake-up on each side) is
// most of a chunk's cost, and a worker with a few chunks ahead runs them
// back to back while the parent catches up in bursts.
const (
	inflightDepth = 2
	tinyDepth     = 8
	tinyBelow     = 20 * time.Microsecond
)

// prefetchBelow: chunks that took longer than this are not pipelined.
const prefetchBelow = 200 * time.Microsecond

// slot owns one worker process at a time, its two rings, and the chunks it
// sent. One goroutine runs each slot; nothing here is shared with others
// but the pool's queue and the pid.
type slot struct {
	pool    *Pool
	index   int
	tasks   *ring.Ring
	results *ring.Ring
	proc    *process.Process
	pid     atomic.Int64

	inflight []*chunk // sent, oldest first; inflight[0] is running
	backlog  []*chunk // to send before new work (requeued after a death)
	buf      []byte
	lastDur  time.Duration // the time the worker spent on the last chunk (see deliver)
	lastDone time.Duration // when the last chunk was done (monotonic: see clock)
	fresh    bool          // lastDone was read just now: the next send may use it
	stuck    bool          // the worker answered a stuck item: it exits between items
	asm      assembler     // a result arriving in pieces

	// The control ring carries cancel records to the worker. They are
	// written by the goroutines that see a job's ctx end (context.AfterFunc,
	// one per watched ctx: watch.go), any number at once, hence the lock,
	// which also guards the watches' ids; ctlClosed is set before the
	// pool's memory is unmapped.
	ctlMu     sync.Mutex
	control   *ring.Ring
	ctlClosed bool
	watches   map[<-chan struct{}]*watch // see watch.go
}

type ending int

const (
	died ending = iota
	stopped
)

func (s *slot) run(ready chan<- error) {
	defer s.pool.slotsDone.Done()
	first := true
	for {
		ctx, cancel, err := s.startWorker()
		if first {
			ready <- err
			first = false
		}
		if err != nil {
			s.pool.setFatal(err)
			s.failAll(err)
			s.drainUntilStop(err)
			return
		}
		end := s.serve(ctx)
		cancel()
		if end == stopped {
			return
		}
	}
}

// startWorker starts a worker and waits for its ready record. The context
// it returns ends when the worker dies or the pool is terminated.
func (s *slot) startWorker() (context.Context, context.CancelFunc, error) {
	p := s.pool
	arg := workerArg{Tasks: s.tasks.Handle(), Results: s.results.Handle(), InitArg: p.initArg, MaxTasksPerChild: p.opts.MaxTasksPerChild}
	if p.opts.Initializer != nil {
		arg.Init = p.opts.Initializer.Name()
	}
	arg.Control, arg.Grace = s.control.Handle(), p.opts.Grace
	proc, err := process.Start(p.ctx, poolWorker, arg, process.WithName(workerName(s.index)), process.WithGrace(p.opts.Grace))
	if err != nil {
		return nil, nil, err
	}
	s.proc, s.stuck = proc, false
	s.pid.Store(int64(proc.Pid()))
	ctx, cancel := context.WithCancel(p.ctx)
	go func() {
		select {
		case <-proc.Done():
			cancel()
		case <-ctx.Done():
		}
	}()
	rec, err := s.results.Peek(ctx)
	if err != nil {
		cancel()
		proc.Kill()
		jerr := proc.Join(context.Background())
		return nil, nil, fmt.Errorf("%s did not start: %w", proc.Name(), errors.Join(err, jerr))
	}
	ok, msg := len(rec) >= 2 && rec[0] == recReady && rec[1] == statusOK, string(rec[min(2, len(rec)):])
	s.results.Release()
	if !ok {
		cancel()
		proc.Kill()
		proc.Join(context.Background())
		return nil, nil, fmt.Errorf("%s: %s", proc.Name(), msg)
	}
	return ctx, cancel, nil
}

// serve feeds the worker and collects its results until it dies or the
// pool stops.
func (s *slot) serve(ctx context.Context) ending {
	for {
		for len(s.inflight) < s.depth() {
			c, stop := s.take(ctx, len(s.inflight) == 0)
			if stop {
				return s.stop()
			}
			if c == nil {
				break
			}
			sent, alive := s.send(ctx, c)
			if !alive {
				return s.onDeath(false)
			}
			if !sent {
				break // it waits in the backlog until the worker is idle
			}
		}
		if len(s.inflight) == 0 {
			if ctx.Err() != nil {
				return s.onDeath(false)
			}
			continue
		}
		rec, err := s.nextResult(ctx, true)
		if errors.Is(err, errBroken) || err == nil && !s.deliver(rec) {
			s.proc.Kill() // a worker that breaks the protocol is replaced
			return s.onDeath(true)
		}
		if err != nil {
			return s.onDeath(false)
		}
	}
}

// depth is how many chunks the worker may have queued now.
func (s *slot) depth() int {
	if s.lastDur != 0 && s.lastDur < tinyBelow {
		return tinyDepth
	}
	return inflightDepth
}

// nextResult returns the next whole result record, put together from its
// pieces if it came in pieces, waiting for it only if wait; the caller
// delivers it (deliver releases it).
func (s *slot) nextResult(ctx context.Context, wait bool) ([]byte, error) {
	for {
		var rec []byte
		var err error
		if wait {
			rec, err = s.results.Peek(ctx)
		} else {
			rec, err = s.results.TryPeek()
		}
		if err != nil {
			return nil, err
		}
		whole, complete, err := s.asm.add(rec)
		if err != nil {
			s.results.Release()
			return nil, err
		}
		if complete {
			return whole, nil
		}
		s.results.Release()
	}
}

// take returns the next chunk to send: the backlog first, then the pool's
// queue (waiting for one only if block). stop is true when the pool is
// stopping and this slot has nothing left.
func (s *slot) take(ctx context.Context, block bool) (c *chunk, stop bool) {
	if len(s.backlog) > 0 {
		c, s.backlog = s.backlog[0], s.backlog[1:]
		return c, false
	}
	if !block {
		// Queue a second chunk only for short tasks (where the handoff
		// would otherwise dominate) and only when no other worker is idle:
		// a long task must not wait behind another while a worker could
		// take it, as Python's workers take a task only when free.
		if s.lastDur == 0 || s.lastDur > prefetchBelow || s.pool.idle.Load() > 0 {
			// (lastDur 0: no chunk done yet, so nothing known of the
			// tasks; another worker may be about to go idle.)
			return nil, false
		}
		select {
		case c = <-s.pool.pending:
			return c, false
		default:
			return nil, false
		}
	}
	s.fresh = false // the wait may be long: the next send reads the clock
	s.pool.idle.Add(1)
	defer s.pool.idle.Add(-1)
	select {
	case c = <-s.pool.pending:
		return c, false
	case <-s.pool.stop:
		return nil, true
	case <-ctx.Done():
		return nil, false
	}
}

// send writes c to the worker's task ring. sent is false when c did not
// go (it failed, or waits in the backlog), alive false if the worker died
// first (c is then back in the backlog). A chunk whose job's ctx ended is
// not sent: its inputs fail with that ctx's error. Once it is sent, the
// end of that ctx sends the worker a cancel record for it. A chunk that
// needs pieces waits until the worker has nothing in flight (see
// pieces.go).
func (s *slot) send(ctx context.Context, c *chunk) (sent, alive bool) {
	s.watchChunk(c) // before the check: see watch.go
	jctx := c.job.Context()
	if err := jctx.Err(); err != nil {
		s.finish(c, err)
		return false, true
	}
	h := chunkHead{id: c.id, task: c.task, timeout: c.timeout}
	if dl, ok := jctx.Deadline(); ok {
		h.deadline = dl.UnixNano()
	}
	s.buf = appendChunk(s.buf[:0], h, c.args)
	if len(s.buf) > s.tasks.MaxMessage() && len(s.inflight) > 0 {
		s.backlog = append([]*chunk{c}, s.backlog...)
		return false, true
	}
	if err := writeRecord(ctx, s.tasks, s.buf, false); err != nil {
		s.backlog = append([]*chunk{c}, s.backlog...)
		return false, false
	}
	if cap(s.buf) > 1<<20 {
		s.buf = nil // a big chunk's buffer is not kept for small ones
	}
	if c.sent = s.lastDone; !s.fresh {
		c.sent = clock()
	}
	s.fresh = false
	s.inflight = append(s.inflight, c)
	return true, true
}

// finish fails the rest of c with err and counts it done.
func (s *slot) finish(c *chunk, err error) {
	c.failRest(err)
	s.done(c)
}

// done counts c done: every input of it was delivered.
func (s *slot) done(c *chunk) {
	s.unwatch(c)
	s.pool.work.Done()
}

// closeControl stops cancelWatch from writing: the pool is unmapping its
// memory.
func (s *slot) closeControl() {
	s.ctlMu.Lock()
	s.ctlClosed = true
	s.ctlMu.Unlock()
}

// deliver hands one result record to its job; false on a protocol error.
func (s *slot) deliver(rec []byte) bool {
	id, idx, status, payload, err := parseResult(rec)
	if err != nil || len(s.inflight) == 0 || id != s.inflight[0].id || idx != s.inflight[0].next {
		s.results.Release()
		return false
	}
	c := s.inflight[0]
	var res []byte
	var rerr error
	if status == statusOK {
		res = append([]byte(nil), payload...)
	} else {
		f, err := wire.ParseFailure(payload)
		if err != nil {
			s.results.Release()
			return false
		}
		rerr = s.pool.withSegmentHint(newTaskError(c.task, s.proc.Name(), f))
	}
	s.stuck = s.stuck || status == statusStuck
	s.results.Release()
	c.job.Deliver(c.base+idx, res, rerr)
	c.next++
	if c.next == len(c.args) {
		// The worker started c when it was sent or when the chunk before
		// it was done, whichever came last: time spent queued behind
		// another is not c's.
		now := clock()
		s.lastDur = now - max(c.sent, s.lastDone)
		s.lastDone, s.fresh = now, true
		s.inflight = s.inflight[1:]
		s.done(c)
	}
	return true
}

// onDeath handles a worker that exited (or a pool that is terminating):
// results it committed are delivered; the item it was running fails with
// an error wrapping ErrWorkerDied that names its exit status or signal,
// whatever that status (a task that calls os.Exit(0) ends its worker as
// surely as a kill); the chunks it had not taken go back to the backlog.
// Nothing the worker took is sent again: the local pool never re-runs a
// task. broken: the parent killed it for breaking the protocol, so the
// items of a chunk it took may have run in any number: none is sent again.
func (s *slot) onDeath(broken bool) ending {
	if s.pool.ctx.Err() != nil { // Terminate: the task's ctx ends, then the grace period
		s.proc.Terminate()
		<-s.proc.Done()
		s.failAll(ErrTerminated)
		return stopped
	}
	<-s.proc.Done()
	s.pid.Store(0)
	for len(s.inflight) > 0 {
		rec, err := s.nextResult(context.Background(), false)
		if err != nil || !s.deliver(rec) {
			break
		}
	}
	s.asm.reset() // pieces of a result the dead worker did not finish
	// The next worker writes results here and reads control records
	// there: wait for it, not report the dead one again.
	s.results.ForgetDeadPeers()
	s.ctlMu.Lock()
	s.control.ForgetDeadPeers()
	s.ctlMu.Unlock()
	// A worker takes chunks in order and frees each one's record before it
	// runs the first item, so the chunks whose records are still in its
	// task ring (the newest ones) were never started; the others were
	// taken. A recycled worker (MaxTasksPerChild) exits between chunks, so
	// it took none of those still in flight.
	taken := min(1, len(s.inflight)) // when the ring cannot tell: the oldest
	if left, ok := s.resetTasks(); ok {
		taken = max(0, len(s.inflight)-left)
	}
	if s.stuck {
		// It answered its stuck item and exited before the next one: the
		// rest of that chunk was not started, as after a recycling.
		taken = 0
	}
	var derr error
	var requeue []*chunk
	for i, c := range s.inflight {
		if i < taken && c.next < len(c.args) {
			if derr == nil {
				derr = s.deathError(broken)
			}
			err := fmt.Errorf("%w running %s: %w", ErrWorkerDied, c.task, derr)
			if broken {
				c.failRest(err)
			} else {
				// Items run in order and each result is committed before
				// the next item starts: this one was running, the rest of
				// the chunk was not started and may run elsewhere.
				c.job.Deliver(c.base+c.next, nil, err)
				c.next++
			}
		}
		if c.next == len(c.args) {
			s.done(c)
			continue
		}
		s.unwatch(c) // the rest is a new chunk, sent anew
		requeue = append(requeue, c.rest(s.pool.nextID.Add(1)))
	}
	s.backlog = append(requeue, s.backlog...)
	s.inflight = nil
	return died
}

// deathError describes how the (reaped) worker ended: a
// *process.ExitError that always names its exit status, 0 included, or the
// signal that killed it.
func (s *slot) deathError(broken bool) error {
	code, _ := s.proc.ExitCode()
	ee := &process.ExitError{Name: s.proc.Name(), Pid: s.proc.Pid(), Code: code}
	if code < 0 {
		ee.Code, ee.Signal = -1, syscall.Signal(-code)
	}
	var err error = ee
	// What the worker said as it went, if anything (its own failure).
	var said *process.ExitError
	if errors.As(s.proc.Join(context.Background()), &said) && said.Message != "" {
		err = fmt.Errorf("%w: %s", ee, said.Message)
	}
	if broken {
		err = fmt.Errorf("it sent a malformed result and was killed: %w", err)
	}
	return err
}

// resetTasks empties the task ring of a dead worker, so its replacement
// does not run chunks that were requeued, and returns how many chunks'
// records (or last pieces) it found there: chunks the worker never took. A fresh attachment reads from
// the shared head, wherever the dead consumer left it. ok is false when the
// ring could not be read.
func (s *slot) resetTasks() (left int, ok bool) {
	r, err := attachRing(s.tasks.Handle())
	if err != nil {
		return 0, false
	}
	for {
		rec, err := r.TryPeek()
		if err != nil {
			ok = errors.Is(err, ring.ErrEmpty) || errors.Is(err, io.EOF)
			break
		}
		if len(rec) > 0 && rec[0] != recPiece { // a chunk's record, or its last piece
			left++
		}
	}
	r.Release()
	return left, ok
}

// stop ends a slot when the pool is joined: the worker sees its task ring
// closed, drains it and exits.
func (s *slot) stop() ending {
	s.tasks.Close()
	select {
	case <-s.proc.Done():
	case <-s.pool.ctx.Done():
		s.proc.Terminate()
		<-s.proc.Done()
	}
	return stopped
}

func (s *slot) failAll(err error) {
	for _, c := range append(s.inflight, s.backlog...) {
		s.finish(c, err)
	}
	s.inflight, s.backlog = nil, nil
}

// drainUntilStop fails every chunk this slot takes until the pool stops:
// a slot without a worker must not leave work hanging.
func (s *slot) drainUntilStop(err error) {
	for {
		select {
		case c := <-s.pool.pending:
			s.finish(c, err)
		case <-s.pool.stop:
			return
		}
	}
}

// clock is a monotonic clock for the slots' timing of chunks: one read of
// the monotonic clock, where time.Now reads the wall clock too. Two
// time.Now calls per chunk were an eighth of the parent's time per
// trivial task on this VM; the chunk sent right after one is done reuses
// that reading (fresh), so a stream of tiny chunks costs one read each.
func clock() time.Duration { return time.Since(clockBase) }

var clockBase = time.Now()
