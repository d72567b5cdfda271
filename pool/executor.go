package pool

import (
	"context"
	"time"
)

// Executor runs chunks of registered tasks somewhere: in the local worker
// processes of a Pool (New), or in another backend that implements these
// four methods (cluster/natscluster: workers on NATS JetStream). Map, Imap, ImapUnordered,
// Apply and ApplyAsync speak only to an Executor, so a caller changes
// backends by changing the value it passes, nothing else.
//
// An Executor deals in task names and encoded bytes: the typed functions
// encode inputs and decode results on the caller's side, in the encoding
// of process.Register's tasks, and a worker runs a task by the name it was
// registered under. An Executor's methods are safe for concurrent use.
type Executor interface {
	// Workers is how many inputs run at once: Map sizes its chunks by it
	// and Imap its window of inputs in flight.
	Workers() int
	// Submit queues c, blocking while the executor's queue is full, as
	// ctx allows. When it returns nil, the executor owes c.Results exactly
	// one Deliver for each of c's inputs, whatever happens to its workers
	// (an input that cannot run gets an error); when it returns an error
	// (ctx's, ErrClosed, ErrTerminated, process.ErrUnknownTask, a failure
	// to start), it owes none.
	Submit(ctx context.Context, c Chunk) error
	// Close stops the executor from taking new work; submitted work still
	// runs.
	Close()
	// Join closes the executor, waits for the submitted work, then stops
	// the workers and releases what the executor holds. When ctx ends
	// first, the work is abandoned and Join returns ctx's error.
	Join(ctx context.Context) error
}

// Chunk is a run of consecutive inputs of one job (a Map, a stream, an
// Apply), handed to one worker as a unit: the worker runs the inputs in
// order and answers each.
type Chunk struct {
	Task string   // the name the task was registered under
	Args [][]byte // the encoded inputs, in order
	Base int      // the job's index of Args[0]: Args[i] is delivered as Base+i
	// Timeout, when not 0, ends each input's ctx in the worker this long
	// after the input starts (context.DeadlineExceeded), and stops an
	// input still running a grace period later.
	Timeout time.Duration
	Results Sink // where the results go
}

// Sink receives a job's results.
type Sink interface {
	// Deliver hands over the result of input i (its encoded bytes, the
	// sink's to keep) or its error, once per input. An executor calls it
	// from its own goroutines, for different inputs possibly at the same
	// time, and for the inputs of one chunk in order; it must return
	// quickly.
	Deliver(i int, res []byte, err error)
	// Context is the job's context, its caller's. Its deadline is each
	// input's in the worker. When it ends, the executor cancels the ctx of
	// the job's inputs that are running, delivers an error for each input
	// it has not started instead of running it, and stops an input that
	// is still running after its grace period (a local worker is then
	// replaced), so that a cancelled job never holds a worker longer.
	Context() context.Context
}

// fail delivers err for every input of c.
func (c Chunk) fail(err error) {
	for i := range c.Args {
		c.Results.Deliver(c.Base+i, nil, err)
	}
}
