package pool

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shmkit/shmkit/internal/wire"
	"github.com/shmkit/shmkit/process"
	"github.com/shmkit/shmkit/ring"
)

// poolWorker is the task every pool worker process runs: it attaches its
// three rings, runs the initializer, announces itself ready, then answers
// chunks until the task ring is closed and drained (or MaxTasksPerChild).
// It is an ordinary registered task: process.Main runs it in a child as it
// runs any other, and process knows nothing of pools. Its ctx is the
// child's (cancelled by SIGTERM, SIGINT and the pool's death); every
// item's ctx derives from it.
var poolWorker = process.Register("shmkit.pool.worker", func(ctx context.Context, a workerArg) (struct{}, error) {
	var w worker
	var err error
	if w.tasks, err = attachRing(a.Tasks); err != nil {
		return struct{}{}, err
	}
	if w.results, err = attachRing(a.Results); err != nil {
		return struct{}{}, err
	}
	if w.control, err = attachRing(a.Control); err != nil {
		return struct{}{}, err
	}
	w.grace, w.cancelled = a.Grace, wire.NewRecent[uint64](256)
	if err := runInit(ctx, a.Init, a.InitArg); err != nil {
		w.results.Write(ctx, append([]byte{recReady, statusErr}, err.Error()...))
		return struct{}{}, err
	}
	if err := w.results.Write(ctx, []byte{recReady, statusOK}); err != nil {
		return struct{}{}, err
	}
	go w.readControl(ctx)
	// The end of the worker's ctx ends every chunk's: watch the item then
	// running (see chunkCtx).
	stop := context.AfterFunc(ctx, func() {
		w.mu.Lock()
		defer w.mu.Unlock()
		w.watchCurrent()
	})
	defer stop()
	return struct{}{}, w.serve(ctx, a.MaxTasksPerChild)
})

func runInit(ctx context.Context, name string, arg []byte) error {
	if name == "" {
		return nil
	}
	run, ok := wire.Lookup(name)
	if !ok {
		return fmt.Errorf("initializer %q: %w", name, process.ErrUnknownTask)
	}
	if _, f := wire.Call(ctx, run, arg); f != nil {
		return fmt.Errorf("initializer %q: %w", name, f.Err)
	}
	return nil
}

// worker is a worker process's side of its rings. One goroutine runs the
// chunks (serve) and is the results ring's only writer, with one
// exception: a watchdog that claims a stuck item (see claim). Another
// reads the control ring.
type worker struct {
	tasks, results, control *ring.Ring
	grace                   time.Duration
	out                     []byte

	mu        sync.Mutex           // guards the five below, shared with readControl and the watchdogs
	cur       uint64               // the chunk running, 0 between chunks
	curCtx    *chunkCtx            // its items' ctx
	cancelled *wire.Recent[uint64] // chunks whose job ended, recent ones (a cancel record may come first)
	dlTimer   *time.Timer
	dlAt      time.Time // when dlTimer fires (atDeadline); zero: it is not set

	// running is the item being run, nil between items, or claimed once a
	// watchdog took it over. The chunk's goroutine stores it before it
	// looks at the chunk's ctx, and a watchdog loads it after that ctx
	// ended: so an item that starts with its ctx still live is seen by
	// the watchdog of every later cancellation (a store then a load on
	// each side, as in Dekker's algorithm).
	running atomic.Pointer[itemRef]
}

type itemRef struct {
	chunk uint64
	index int
}

var claimed = new(itemRef)

// exitStuck is a worker's exit status after a watchdog answered a stuck
// item. The parent does not rely on it (the stuck result record says as
// much) but it tells a reader of the process table what happened.
const exitStuck = 124

func (w *worker) serve(ctx context.Context, maxTasks int) error {
	done := 0
	var asm assembler
	var task string // the last chunk's (see parseChunk)
	for {
		rec, err := w.tasks.Peek(ctx)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		whole, complete, err := asm.add(rec)
		if err != nil {
			return err
		}
		if !complete {
			w.tasks.Release() // a piece, copied out
			continue
		}
		// Copy the chunk out and free its ring space at once, so the parent
		// can queue the next chunk while this one runs. Freeing it (its
		// last piece) before running any item is also how the parent
		// tells, after a death, that this chunk was taken: its running
		// item fails, never re-runs.
		if len(whole) > 0 && &whole[0] == &rec[0] {
			whole = append([]byte(nil), whole...)
		}
		w.tasks.Release()
		h, args, err := parseChunk(whole, task)
		if err != nil {
			return err
		}
		task = h.task
		if err := w.runChunk(ctx, h, args); err != nil {
			return err
		}
		done += len(args)
		if maxTasks > 0 && done >= maxTasks {
			return nil // recycled: the parent starts a fresh worker
		}
	}
}

func (w *worker) runChunk(ctx context.Context, h chunkHead, args [][]byte) error {
	cctx, end := w.chunkContext(ctx, h)
	defer end()
	run, known := wire.Lookup(h.task)
	for i, arg := range args {
		it := &itemRef{chunk: h.id, index: i}
		w.running.Store(it) // before looking at cctx: see running
		var res []byte
		var fail *wire.Failure
		switch {
		case cctx.Err() != nil: // the job ended: answer without running
			fail = &wire.Failure{Err: causeOf(cctx)}
		case !known:
			fail = &wire.Failure{Err: fmt.Errorf("task %q: %w", h.task, process.ErrUnknownTask)}
		default:
			res, fail = w.runOne(cctx, run, arg, it, h.timeout)
		}
		if !w.running.CompareAndSwap(it, nil) {
			select {} // a watchdog answered this item and ends the process
		}
		w.out = appendItemResult(w.out[:0], h.id, i, res, fail)
		if len(w.out) > MaxMessage {
			err := fmt.Errorf("result of task %s: %d bytes: %w", h.task, len(w.out), ErrTooLarge)
			w.out = appendItemResult(w.out[:0], h.id, i, nil, &wire.Failure{Err: err})
		}
		// Only a chunk's last result wakes the parent (as Python's
		// workers send a chunk's results in one message); the others
		// are committed quietly, so that a worker that dies mid-chunk
		// still leaves them for the parent to collect. A wake per
		// result cost the parent a thread switch per task and, on 2
		// cores, took time from the workers.
		if err := writeRecord(ctx, w.results, w.out, i < len(args)-1); err != nil {
			return err
		}
	}
	return nil
}

// appendItemResult appends the result record of an item: its result, or
// its failure.
func appendItemResult(b []byte, id uint64, index int, res []byte, fail *wire.Failure) []byte {
	switch {
	case fail == nil:
		return appendResult(b, id, index, statusOK, res)
	case fail.Panic:
		return appendResult(b, id, index, statusPanic, wire.AppendFailure(nil, *fail))
	default:
		return appendResult(b, id, index, statusErr, wire.AppendFailure(nil, *fail))
	}
}

// runOne runs one item under its timeout, if any.
func (w *worker) runOne(cctx context.Context, run wire.Runner, arg []byte, it *itemRef, timeout time.Duration) ([]byte, *wire.Failure) {
	if timeout <= 0 {
		return wire.Call(cctx, run, arg)
	}
	ictx, cancel := context.WithTimeout(cctx, timeout)
	defer cancel()
	stop := context.AfterFunc(ictx, func() { w.watch(ictx, it) })
	defer stop()
	return wire.Call(ictx, run, arg)
}

// chunkContext returns the ctx of a chunk's items: the worker's, ended at
// the job's deadline and by a cancel record for the chunk, and watched:
// when it ends, the item then running has the grace period to return. It
// is made lazily (chunkCtx); the watching is done by what ends it.
func (w *worker) chunkContext(ctx context.Context, h chunkHead) (context.Context, func()) {
	c := newChunkCtx(ctx, h.deadline)
	w.mu.Lock()
	w.cur, w.curCtx = h.id, c
	if w.cancelled.Has(h.id) {
		c.end(context.Canceled)
	}
	if !c.deadline.IsZero() && (w.dlAt.IsZero() || c.deadline.Before(w.dlAt)) {
		w.armDeadline(c.deadline)
	}
	w.mu.Unlock()
	return c, func() {
		w.mu.Lock()
		w.cur, w.curCtx = 0, nil
		w.mu.Unlock()
		c.release()
	}
}

// armDeadline sets the deadline timer to fire at t (w.mu held).
func (w *worker) armDeadline(t time.Time) {
	w.dlAt = t
	if w.dlTimer == nil {
		w.dlTimer = time.AfterFunc(time.Until(t), w.atDeadline)
		return
	}
	w.dlTimer.Reset(time.Until(t))
}

// atDeadline runs when the deadline timer fires: the running chunk's
// deadline has passed (its item gets the grace period) or is still ahead
// (the timer is set again for it).
func (w *worker) atDeadline() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.dlAt = time.Time{}
	c := w.curCtx
	switch {
	case c == nil || c.deadline.IsZero():
	case time.Now().Before(c.deadline):
		w.armDeadline(c.deadline)
	default:
		w.watchCurrent()
	}
}

// watchCurrent gives the item running, if any, the grace period to return
// after its chunk's ctx ended (w.mu held).
func (w *worker) watchCurrent() {
	if it := w.running.Load(); it != nil && it != claimed && w.curCtx != nil && it.chunk == w.cur {
		w.watch(w.curCtx, it)
	}
}

// watch gives it, whose ctx ended, the grace period to return; then
// claim.
func (w *worker) watch(ctx context.Context, it *itemRef) {
	time.AfterFunc(w.grace, func() { w.claim(it, causeOf(ctx)) })
}

// claim answers an item that is still running a grace period after its
// ctx ended, and ends the process: the task's goroutine cannot be stopped
// otherwise. Winning the compare-and-swap makes this goroutine the results
// ring's writer: the chunk's goroutine is inside the task and, when it
// returns, finds the item claimed and writes nothing more. The parent gets
// the answer, then sees the worker exit between items, and replaces it.
func (w *worker) claim(it *itemRef, cause error) {
	if !w.running.CompareAndSwap(it, claimed) {
		return // it returned in time
	}
	err := fmt.Errorf("%w: the task did not return within the %v grace period after its context ended; its worker was replaced", cause, w.grace)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	writeRecord(ctx, w.results, appendResult(nil, it.chunk, it.index, statusStuck, wire.AppendFailure(nil, wire.Failure{Err: err})), false)
	os.Exit(exitStuck)
}

// readControl applies the parent's cancel records until the worker's ctx
// ends.
func (w *worker) readControl(ctx context.Context) {
	for {
		rec, err := w.control.Peek(ctx)
		if err != nil {
			return
		}
		id, ok := parseCancel(rec)
		w.control.Release()
		if !ok {
			continue
		}
		w.mu.Lock()
		w.cancelled.Add(id)
		if w.cur == id {
			w.curCtx.end(context.Canceled)
			w.watchCurrent()
		}
		w.mu.Unlock()
	}
}
