package process

import (
	"context"
	"fmt"

	"github.com/shmkit/shmkit/codec"
	"github.com/shmkit/shmkit/internal/wire"
)

// Task is a function registered by name, so a re-executed copy of the
// binary can find it: the child gets the name, not the code. A is the
// argument type and R the result type; both travel as their bytes when
// plain (fixed-size and pointer-free), else gob-encoded (shared objects
// encode as handles through their MarshalBinary), unless WithCodecs set
// other codecs.
type Task[A, R any] struct {
	name    string
	fn      func(context.Context, A) (R, error)
	args    codec.Codec[A]
	results codec.Codec[R]
}

// WithCodecs makes the task's arguments and results travel through the
// given codecs (nil keeps the automatic one) and returns t. Call it where
// the task is registered, at package initialisation, so that parent and
// children agree: a codec is not sent along.
func (t *Task[A, R]) WithCodecs(args codec.Codec[A], results codec.Codec[R]) *Task[A, R] {
	if args != nil {
		t.args = args
	}
	if results != nil {
		t.results = results
	}
	return t
}

// EncodeArg encodes an argument of t as it travels to a child (for
// executors such as package pool's).
// A Task that was never registered (a zero Task) uses the automatic codec.
func (t *Task[A, R]) EncodeArg(a A) ([]byte, error) {
	if t.args == nil {
		return wire.Auto[A]{}.Encode(nil, a)
	}
	return t.args.Encode(nil, a)
}

// DecodeResult decodes a result of t as it came back from a child.
func (t *Task[A, R]) DecodeResult(b []byte) (R, error) {
	if t.results == nil {
		return wire.Auto[R]{}.Decode(b)
	}
	return t.results.Decode(b)
}

// Name returns the name the task was registered under.
func (t *Task[A, R]) Name() string { return t.name }

// Call runs the task in this process, as a child would run it.
func (t *Task[A, R]) Call(ctx context.Context, arg A) (R, error) { return t.fn(ctx, arg) }

// Register makes fn runnable in a child process under name. Call it at
// package initialisation (a package-level var), in the same way in every
// build of the binary, so parent and child agree on the table; a
// registration from inside main after children were started is not seen
// by them. Registering a name twice panics, like http.HandleFunc.
//
// fn's ctx is the call's, wherever it runs: it carries the deadline of
// the parent's ctx (Run, pool.Map and friends) and is cancelled when that
// ctx ends, when the child gets SIGTERM (Terminate) or SIGINT (Interrupt),
// when the parent dies, and in a pool at the input's Timeout;
// context.Cause tells which (ErrTerminated, ErrInterrupted,
// ErrParentDied, or the parent's ctx error). fn then has a grace period
// (WithGrace, pool.Options.Grace; DefaultGrace) to return before its
// process is killed: a task that watches ctx unwinds cleanly, one that
// ignores it costs the grace period.
func Register[A, R any](name string, fn func(ctx context.Context, arg A) (R, error)) *Task[A, R] {
	if name == "" || fn == nil {
		panic("process: Register needs a name and a function")
	}
	t := &Task[A, R]{name: name, fn: fn, args: wire.Auto[A]{}, results: wire.Auto[R]{}}
	run := func(ctx context.Context, arg []byte) ([]byte, error) {
		a, err := t.args.Decode(arg)
		if err != nil {
			return nil, fmt.Errorf("decoding argument of %q: %w", name, err)
		}
		r, err := fn(ctx, a)
		if err != nil {
			return nil, err
		}
		b, err := t.results.Encode(nil, r)
		if err != nil {
			return nil, fmt.Errorf("encoding result of %q: %w", name, err)
		}
		return b, nil
	}
	if !wire.Register(name, run) {
		panic(fmt.Sprintf("process: task %q registered twice", name))
	}
	return t
}

// RegisterFunc registers a task that takes and returns nothing, Python's
// Process(target=f). Start it with struct{}{} as the argument.
func RegisterFunc(name string, fn func(ctx context.Context) error) *Task[struct{}, struct{}] {
	return Register(name, func(ctx context.Context, _ struct{}) (struct{}, error) { return struct{}{}, fn(ctx) })
}
