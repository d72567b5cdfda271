// Package process starts worker copies of the running binary and manages
// them: Python's multiprocessing.Process for Go.
//
// Go cannot fork a running program (the runtime is multi-threaded), so a
// child is this same binary re-executed from /proc/self/exe with a marker
// in its environment. process.Main, which must be the first statement of
// main and of TestMain, sees the marker, runs the requested task and exits
// the process; in a parent it returns at once:
//
//	var hello = process.Register("hello", func(ctx context.Context, who string) (string, error) {
//		return "hello, " + who, nil
//	})
//
//	func main() {
//		process.Main()
//		msg, err := process.Run(context.Background(), hello, "world")
//		...
//	}
//
// Tasks are registered by name at package initialisation, so parent and
// child agree on them. Arguments and results travel in the task's codecs:
// by default plain types (numbers, bools, and fixed-size arrays and
// structs of them, with no encoding of their own) as their bytes,
// unexported fields included, and the rest gob-encoded; Task.WithCodecs
// chooses others. Each may be up to 1 GiB (it crosses a pipe). Shared objects (locks, queues, values) encode as shm
// handles and are attached in the child, and every anonymous segment of
// the parent is inherited by the child as a descriptor. Extra files travel
// with WithFiles.
//
// Cancellation, one story for every child (pool workers included): a
// task's ctx carries the deadline of the parent's ctx for the call and is
// cancelled when that ctx ends (Run), on Terminate (SIGTERM) and Interrupt
// (SIGINT), whoever sends them, and when the parent dies; context.Cause
// says which. The task then has a grace period (WithGrace, DefaultGrace
// 2 s) to return before the child is killed with SIGKILL. A terminated
// child exits by SIGTERM (ExitCode -15) once its task returned; an
// interrupted one by its task's result (1 for an error), as CPython's
// KeyboardInterrupt.
//
// Lifetimes: a child is always reaped, joined or not, so no zombie stays
// behind; ActiveChildren lists those still running, and Close releases
// one that has exited. Children are daemonic by default: Go cannot hook
// its exit to wait for children, so a program with children it must wait
// for starts them WithDaemon(false) and defers Shutdown in main, which
// waits for those and terminates the rest (CPython's exit handler). In a
// child, Parent is a handle on the process that started it. A child dies when its parent dies: the kernel's parent-death
// signal (children are forked from one locked thread that never exits,
// since the signal follows the forking thread) and a liveness pipe whose
// end of file the child watches both cancel its task's ctx, and the child
// kills itself a grace period later.
//
// A cold child's start grows with the binary, and a dynamically linked one
// (a program that links package net, built with cgo: the default where a
// C compiler is installed) runs the system's loader first: build with
// CGO_ENABLED=0 for a static binary, about 1 ms less a child on the
// project's VM.
//
// Spare children (warm starts): a cold child costs an exec of this binary
// and its runtime's and packages' start-up, milliseconds for a large
// binary, where CPython forks. EnableSpares(n) keeps n spare children
// ready, started in the background: copies of the binary waiting in Main.
// Start then hands its task to a spare instead of exec'ing a child — over
// a unix socket, the task's name, the child's name, WithEnv's entries,
// the deadline and grace, and its descriptors (the anonymous segments,
// WithFiles' files, the child's standard output and error, by
// SCM_RIGHTS), then its argument — and starts a replacement, which
// overlaps the caller's work. Process.FromSpare tells which it was.
// Spares are off by default (a library that starts processes behind its
// user's back would surprise tests that count processes); one is usually
// enough for spaced-out starts, two for starts back to back on two cores.
// pool.New and the pool's replacement workers start through Start, so
// they use spares too.
//
// A spare's child is a cold child's equal, with one difference: its
// environment is this process's as of the spare's start (spares older
// than a change of this process's environment are retired, not used),
// plus WithEnv's entries applied with os.Setenv before the task runs, so a
// package that reads the environment while it initialises sees the
// spare's start, not WithEnv. Start execs a child instead whenever a spare
// cannot be equivalent: WithColdStart, outputs that are not files
// (WithOutput of a bytes.Buffer), WithEnv entries the runtime, the dynamic
// loader or the time package read before Main (GO*, LD_*, TZ) or without
// '=', more than 253 descriptors to pass. An idle spare costs a process:
// for the 8 MB shmkit binary, 6.5 MiB resident, of which 1.1 MiB is its
// own and the rest the binary's pages, shared with this process (2.6 MiB
// proportional set size), and 6 or 7 threads; its standard streams are
// /dev/null until it has a task.
//
// Spares die with this process as children do, and are not children until
// they have a task (ActiveChildren does not list them). A spare that dies
// idle is reaped and replaced; one that dies before it took its task is
// replaced within Start (the task runs once, elsewhere); one killed once
// it took its task is that Start's child killed (Join reports the
// signal). StopSpares, and Shutdown, reap them all: a test binary whose
// TestMain checks for leftover processes stops them before the check.
//
// Errors: a task that returns an error or panics makes Join return an
// *ExitError that unwraps to the task's error rebuilt in the parent:
// sentinels registered with RegisterError and types registered with
// RegisterErrorType arrive as themselves (errors.Is and errors.As work),
// other errors as their message and wrapped chain. A panic reports its
// value and the frame where it happened; the whole stack is in
// ExitError.Stack.
//
// This package is the spawning core and nothing more: it knows no kind of
// shared object (they travel as handles) and no pool. Package pool runs
// many inputs over a set of workers started from here; its worker is an
// ordinary registered task.
//
// Sharp edges: a binary that does not call process.Main first runs its
// whole main again in every child (Start refuses to start grandchildren
// from such a child, with ErrNoMain, so this cannot fork-bomb). The child
// shares stdout and stderr with the parent unless WithOutput says
// otherwise.
package process
