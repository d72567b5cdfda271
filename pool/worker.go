package pool

import (
	"context"
	"errors"
	"fmt"
	"io"
	"runtime/debug"

	"github.com/shmkit/shmkit/internal/wire"
	"github.com/shmkit/shmkit/process"
	"github.com/shmkit/shmkit/ring"
	"github.com/shmkit/shmkit/shm"
)

// poolWorker is the task every pool worker process runs: it attaches its
// two rings, runs the initializer, announces itself ready, then answers
// chunks until the task ring is closed and drained (or MaxTasksPerChild).
// It is an ordinary registered task: process.Main runs it in a child as it
// runs any other, and process knows nothing of pools.
var poolWorker = process.Register("shmkit.pool.worker", func(ctx context.Context, a workerArg) (struct{}, error) {
	tasks, err := shm.AttachAs[ring.Ring](a.Tasks)
	if err != nil {
		return struct{}{}, err
	}
	results, err := shm.AttachAs[ring.Ring](a.Results)
	if err != nil {
		return struct{}{}, err
	}
	if err := runInit(ctx, a.Init, a.InitArg); err != nil {
		results.Write(ctx, append([]byte{recReady, statusErr}, err.Error()...))
		return struct{}{}, err
	}
	if err := results.Write(ctx, []byte{recReady, statusOK}); err != nil {
		return struct{}{}, err
	}
	return struct{}{}, serveChunks(ctx, tasks, results, a.MaxTasksPerChild)
})

func runInit(ctx context.Context, name string, arg []byte) error {
	if name == "" {
		return nil
	}
	run, ok := wire.Lookup(name)
	if !ok {
		return fmt.Errorf("initializer %q: %w", name, process.ErrUnknownTask)
	}
	_, status, msg := runItem(ctx, run, arg)
	if status != statusOK {
		return fmt.Errorf("initializer %q: %s", name, msg)
	}
	return nil
}

func serveChunks(ctx context.Context, tasks, results *ring.Ring, maxTasks int) error {
	var out []byte
	done := 0
	for {
		rec, err := tasks.Peek(ctx)
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		// Copy the chunk out and free its ring space at once, so the parent
		// can queue the next chunk while this one runs. Freeing it before
		// running any item is also how the parent tells, after a death,
		// that this chunk was taken: its running item fails, never re-runs.
		rec = append([]byte(nil), rec...)
		tasks.Release()
		id, task, args, err := parseChunk(rec)
		if err != nil {
			return err
		}
		run, ok := wire.Lookup(task)
		for i, arg := range args {
			res, status, msg := []byte(nil), byte(statusErr), fmt.Sprintf("task %q: %v", task, process.ErrUnknownTask)
			if ok {
				res, status, msg = runItem(ctx, run, arg)
			}
			if status != statusOK {
				res = []byte(msg)
			}
			out = appendResult(out[:0], id, i, status, res)
			if len(out) > results.MaxMessage() {
				msg := fmt.Sprintf("result of %d bytes does not fit the pool's result ring (%d bytes): raise pool.Options.RingSize", len(res), results.MaxMessage())
				out = appendResult(out[:0], id, i, statusErr, []byte(msg))
			}
			// Only a chunk's last result wakes the parent (as Python's
			// workers send a chunk's results in one message); the others
			// are committed quietly, so that a worker that dies mid-chunk
			// still leaves them for the parent to collect. A wake per
			// result cost the parent a thread switch per task and, on 2
			// cores, took time from the workers.
			write := results.WriteQuiet
			if i == len(args)-1 {
				write = results.Write
			}
			if err := write(ctx, out); err != nil {
				return err
			}
		}
		done += len(args)
		if maxTasks > 0 && done >= maxTasks {
			return nil // recycled: the parent starts a fresh worker
		}
	}
}

// runItem runs one task call, turning a panic into a status with its
// message and stack.
func runItem(ctx context.Context, run wire.Runner, arg []byte) (res []byte, status byte, msg string) {
	defer func() {
		if r := recover(); r != nil {
			res, status, msg = nil, statusPanic, fmt.Sprintf("panic: %v\n%s", r, debug.Stack())
		}
	}()
	res, err := run(ctx, arg)
	if err != nil {
		return nil, statusErr, err.Error()
	}
	return res, statusOK, ""
}
