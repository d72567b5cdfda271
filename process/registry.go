package process

import (
	"bytes"
	"context"
	"encoding/gob"
	"fmt"
	"reflect"
	"sync"
)

// Task is a function registered by name, so a re-executed copy of the
// binary can find it: the child gets the name, not the code. A is the
// argument type and R the result type; both travel as their bytes when
// plain (fixed-size and pointer-free), else gob-encoded (shared objects
// encode as handles through their MarshalBinary).
type Task[A, R any] struct {
	name string
	fn   func(context.Context, A) (R, error)
}

// Name returns the name the task was registered under.
func (t *Task[A, R]) Name() string { return t.name }

// Call runs the task in this process, as a child would run it.
func (t *Task[A, R]) Call(ctx context.Context, arg A) (R, error) { return t.fn(ctx, arg) }

// runner runs a task from encoded argument bytes to encoded result bytes.
type runner func(ctx context.Context, arg []byte) ([]byte, error)

var registry = struct {
	sync.RWMutex
	m map[string]runner
}{m: map[string]runner{}}

// Register makes fn runnable in a child process under name. Call it at
// package initialisation (a package-level var), in the same way in every
// build of the binary, so parent and child agree on the table; a
// registration from inside main after children were started is not seen
// by them. Registering a name twice panics, like http.HandleFunc.
func Register[A, R any](name string, fn func(ctx context.Context, arg A) (R, error)) *Task[A, R] {
	if name == "" || fn == nil {
		panic("process: Register needs a name and a function")
	}
	registry.Lock()
	defer registry.Unlock()
	if _, dup := registry.m[name]; dup {
		panic(fmt.Sprintf("process: task %q registered twice", name))
	}
	registry.m[name] = func(ctx context.Context, arg []byte) ([]byte, error) {
		var a A
		if err := decode(arg, &a); err != nil {
			return nil, fmt.Errorf("decoding argument of %q: %w", name, err)
		}
		r, err := fn(ctx, a)
		if err != nil {
			return nil, err
		}
		return encode(r)
	}
	return &Task[A, R]{name: name, fn: fn}
}

// RegisterFunc registers a task that takes and returns nothing, Python's
// Process(target=f). Start it with struct{}{} as the argument.
func RegisterFunc(name string, fn func(ctx context.Context) error) *Task[struct{}, struct{}] {
	return Register(name, func(ctx context.Context, _ struct{}) (struct{}, error) { return struct{}{}, fn(ctx) })
}

func lookup(name string) (runner, bool) {
	registry.RLock()
	defer registry.RUnlock()
	r, ok := registry.m[name]
	return r, ok
}

// empty reports whether values of v's type carry no data (gob refuses to
// encode a struct with no exported fields, such as struct{}).
func empty(t reflect.Type) bool {
	return t == nil || (t.Kind() == reflect.Struct && t.Size() == 0)
}

func encode(v any) ([]byte, error) {
	if empty(reflect.TypeOf(v)) {
		return nil, nil
	}
	if b, ok := encodeFast(v); ok {
		return b, nil
	}
	if b, ok := encodeRaw(v); ok {
		return b, nil
	}
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(v); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// decode fills ptr from b; no bytes at all leave the zero value (what an
// absent optional argument, such as a nil InitArg, means).
func decode(b []byte, ptr any) error {
	if len(b) == 0 || empty(reflect.TypeOf(ptr).Elem()) {
		return nil
	}
	if ok, err := decodeFast(b, ptr); ok {
		return err
	}
	if ok, err := decodeRaw(b, ptr); ok {
		return err
	}
	return gob.NewDecoder(bytes.NewReader(b)).Decode(ptr)
}
