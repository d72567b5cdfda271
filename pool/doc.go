// Package pool runs registered tasks on a set of worker processes:
// Python's multiprocessing.Pool for Go.
//
//	var square = process.Register("square", func(ctx context.Context, x int) (int, error) {
//		return x * x, nil
//	})
//
//	func main() {
//		process.Main() // first line: a worker is this binary re-executed
//		p, err := pool.New(ctx, pool.Options{Workers: 4})
//		...
//		defer p.Join(ctx)
//		squares, err := pool.Map(ctx, p, square, []int{1, 2, 3})
//	}
//
// Map, Imap, ImapUnordered, Apply, ApplyAsync and MapAsync take an
// Executor, not a *Pool: the Pool (New) is the local executor, whose workers are children
// started by package process and fed chunks of inputs through two
// shared-memory rings each; cluster/natscluster's NewExecutor runs the
// same calls on NATS JetStream workers on other machines, so code written
// against Map runs on either. Tasks are process.Register's: a worker runs a task by the name
// it was registered under, so register at package level, and call
// process.Main first in main and in TestMain.
//
// Reach for package process for one child (Start, Run) and for this
// package for many inputs over a fixed set of workers. Chunking: Map cuts
// its inputs into shrinking chunks (Chunksize fixes the size); Imap and
// ImapUnordered send one input at a time and keep a bounded window in
// flight.
//
// Cancellation, as package process's: every call takes the ctx its tasks
// run under. A task's ctx in the worker carries the call's deadline and
// is cancelled when the call's ctx ends (Map, Imap and ImapUnordered
// return or stop at once; the inputs not started are not run), at the
// input's Timeout, and on Terminate; the task then has Options.Grace to
// return, after which its worker is stopped and replaced (the input fails
// with an error naming its ctx's end). So neither a cancelled call nor
// Join ever waits for a task longer than the grace period.
//
// What a failure costs: a task's error or panic comes back as a
// *TaskError, which unwraps to the task's error rebuilt in the parent
// (errors.Is and errors.As work for sentinels and types registered with
// process.RegisterError and process.RegisterErrorType; a panic names its
// frame, its stack is in TaskError.Stack), and the worker lives on. A worker that exits while running a
// task, for any reason (a signal, any status, 0 included), fails that one
// input with an error wrapping ErrWorkerDied that names the status or
// signal, and is replaced; the local pool never runs a task twice, and the
// rest of that chunk runs in another worker. An initializer that fails fails New.
// No call hangs on a dead worker.
//
// Sharp edges: workers inherit the anonymous segments that exist when
// they start, so create shared objects before New (or in named segments).
// Inputs, results and errors of any size travel (in pieces when they
// are larger than a worker's ring), up to MaxMessage (1 GiB) each, past
// which they fail with ErrTooLarge. Join (or Terminate) must be called:
// it stops the workers and frees the pool's shared memory. A Future's
// OnSuccess and OnError callbacks run on the pool's goroutines and must
// return quickly. A task knows which worker runs it:
// process.Current().Name is "PoolWorker-N" (a replacement keeps N).
package pool
