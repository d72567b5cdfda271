package wire

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
)

// Failure is how a task failed, as it crosses to the parent: the error it
// returned, or the panic it raised (then Err carries the panic's value:
// the value itself when it is an error, its text otherwise), with the
// frame where the panic happened and the whole stack.
type Failure struct {
	Err   error
	Panic bool
	Frame string // "pkg.Func (file.go:42)", where the panic happened
	Stack string // the goroutine's stack at the recover
}

// Recovered describes r, a value just recovered from a panic: call it
// from the deferred function that recovered, so that the stack still
// holds the panicking frames.
func Recovered(r any) Failure {
	f := Failure{Panic: true, Frame: panicFrame(), Stack: string(debug.Stack())}
	if err, ok := r.(error); ok {
		f.Err = err
	} else {
		f.Err = errors.New(fmt.Sprint(r))
	}
	return f
}

// panicFrame finds the frame that panicked: the first one below the
// runtime's panic machinery (gopanic, and sigpanic or panicIndex and the
// like for the runtime's own panics), which is below the deferred
// function that called Recovered.
func panicFrame() string {
	pcs := make([]uintptr, 64)
	frames := runtime.CallersFrames(pcs[:runtime.Callers(3, pcs)])
	inRuntime := false
	for {
		fr, more := frames.Next()
		rt := strings.HasPrefix(fr.Function, "runtime.")
		if inRuntime && !rt {
			return fmt.Sprintf("%s (%s:%d)", fr.Function, filepath.Base(fr.File), fr.Line)
		}
		inRuntime = inRuntime || rt
		if !more {
			return ""
		}
	}
}

// AppendFailure appends f to b:
//
//	flags:u8 (1: panic) frame:str stack:str error-tree
func AppendFailure(b []byte, f Failure) []byte {
	var flags byte
	if f.Panic {
		flags = 1
	}
	b = append(b, flags)
	b = appendStr(b, f.Frame)
	b = appendStr(b, f.Stack)
	err := f.Err
	if err == nil {
		err = errors.New("task failed")
	}
	return AppendError(b, err)
}

// ParseFailure reads what AppendFailure wrote, and nothing else.
func ParseFailure(b []byte) (Failure, error) {
	var f Failure
	if len(b) < 1 || b[0] > 1 {
		return f, fmt.Errorf("malformed failure: %w", errInvalid)
	}
	f.Panic = b[0] == 1
	p := errParser{b: b[1:]}
	f.Frame, f.Stack = p.str(), p.str()
	if p.bad != nil {
		return f, p.bad
	}
	err, rest, perr := ParseError(p.b)
	if perr != nil {
		return f, perr
	}
	if len(rest) != 0 {
		return f, fmt.Errorf("malformed failure: %d bytes after it: %w", len(rest), errInvalid)
	}
	f.Err = err
	return f, nil
}

// Call runs one task call in an executor's worker: its result, or how it
// failed (a panic included, with its frame and stack).
func Call(ctx context.Context, run Runner, arg []byte) (res []byte, fail *Failure) {
	defer func() {
		if r := recover(); r != nil {
			f := Recovered(r)
			res, fail = nil, &f
		}
	}()
	res, err := run(ctx, arg)
	if err != nil {
		return nil, &Failure{Err: err}
	}
	return res, nil
}
