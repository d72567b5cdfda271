package wire

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"strings"
	"syscall"
	"testing"
)

var (
	errSentinel = errors.New("disk on fire")
	errSameText = errors.New("disk on fire") // same type and text: told apart by order
)

type quotaError struct {
	User  string
	Limit int
}

func (e *quotaError) Error() string { return fmt.Sprintf("user %s over quota %d", e.User, e.Limit) }

// wrapping has a field gob cannot encode (an interface holding an
// unregistered type): it must arrive as text, its chain intact.
type wrapping struct {
	Op  string
	Err error
}

func (e *wrapping) Error() string { return e.Op + ": " + e.Err.Error() }
func (e *wrapping) Unwrap() error { return e.Err }

func init() {
	must(RegisterError(errSentinel))
	must(RegisterError(errSameText))
	must(RegisterErrorType[*quotaError](Auto[*quotaError]{}))
	must(RegisterErrorType[*wrapping](Auto[*wrapping]{}))
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}

func cross(t *testing.T, err error) error {
	t.Helper()
	b := AppendError(nil, err)
	got, rest, perr := ParseError(b)
	if perr != nil || len(rest) != 0 {
		t.Fatalf("%v: parse: %v, %d bytes left", err, perr, len(rest))
	}
	if got.Error() != err.Error() {
		t.Fatalf("message %q arrived as %q", err.Error(), got.Error())
	}
	return got
}

func TestErrorsCross(t *testing.T) {
	if got := cross(t, errSentinel); got != errSentinel {
		t.Fatalf("sentinel arrived as %T %v", got, got)
	}
	if got := cross(t, errSameText); got != errSameText {
		t.Fatal("a second sentinel of the same text arrived as the first")
	}
	got := cross(t, fmt.Errorf("%w: foo", errSentinel))
	if !errors.Is(got, errSentinel) || errors.Is(got, errSameText) {
		t.Fatalf("wrapped sentinel: Is = %v", errors.Is(got, errSentinel))
	}
	got = cross(t, fmt.Errorf("job 3: %w", &quotaError{"ann", 10}))
	var q *quotaError
	if !errors.As(got, &q) || q.User != "ann" || q.Limit != 10 {
		t.Fatalf("typed error: As = %v, %+v", errors.As(got, &q), q)
	}
	got = cross(t, &wrapping{Op: "save", Err: fmt.Errorf("%w and %w", context.DeadlineExceeded, &quotaError{"bob", 1})})
	if !errors.Is(got, context.DeadlineExceeded) || !errors.As(got, &q) || q.User != "bob" {
		t.Fatalf("an unencodable typed error keeps its chain: %v", got)
	}
	got = cross(t, errors.Join(errors.New("a"), context.Canceled, errSentinel))
	if !errors.Is(got, context.Canceled) || !errors.Is(got, errSentinel) {
		t.Fatalf("joined errors: %v", got)
	}
	_, err := os.Open("/nonexistent/shmkit")
	got = cross(t, err)
	if !errors.Is(got, fs.ErrNotExist) || !errors.Is(got, syscall.ENOENT) {
		t.Fatalf("an *fs.PathError's errno: %v", got)
	}
}

func TestErrorsBounded(t *testing.T) {
	err := error(errSentinel)
	for i := range 100 {
		err = fmt.Errorf("level %d: %w", i, err)
	}
	got := cross(t, err) // deeper than maxDepth: the message stays whole
	if errors.Is(got, errSentinel) {
		t.Log("the sentinel survived 100 levels") // fine either way; never a panic
	}
	var many []error
	for i := range 1000 {
		many = append(many, fmt.Errorf("e%d", i))
	}
	cross(t, errors.Join(many...))
}

// Garbage never panics.
func TestParseErrorGarbage(t *testing.T) {
	good := AppendFailure(nil, Failure{Err: fmt.Errorf("x: %w", &quotaError{"a", 1}), Panic: true, Frame: "f", Stack: "s"})
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		b := append([]byte(nil), good...)
		switch r.IntN(3) {
		case 0:
			b = b[:r.IntN(len(b))]
		case 1:
			b[r.IntN(len(b))] = byte(r.IntN(256))
		default:
			b = make([]byte, r.IntN(64))
			for i := range b {
				b[i] = byte(r.IntN(256))
			}
		}
		ParseFailure(b)
	}
	f, err := ParseFailure(good)
	if err != nil || !f.Panic || f.Frame != "f" || f.Stack != "s" || !errors.As(f.Err, new(*quotaError)) {
		t.Fatalf("round trip: %+v, %v", f, err)
	}
}

func panicsHere() { panic("boom") }

func nilMap() {
	var m map[string]int
	m["x"] = 1
}

func TestRecoveredFrame(t *testing.T) {
	for _, tc := range []struct {
		fn   func()
		name string
		msg  string
	}{
		{panicsHere, "wire.panicsHere", "boom"},
		{nilMap, "wire.nilMap", "assignment to entry in nil map"},
	} {
		f := func() (f Failure) {
			defer func() { f = Recovered(recover()) }()
			tc.fn()
			return
		}()
		if !f.Panic || !strings.Contains(f.Frame, tc.name) || !strings.Contains(f.Frame, "errors_test.go:") {
			t.Errorf("frame %q, want %s in errors_test.go", f.Frame, tc.name)
		}
		if !strings.Contains(f.Err.Error(), tc.msg) || !strings.Contains(f.Stack, "goroutine") {
			t.Errorf("value %q, stack %d bytes", f.Err, len(f.Stack))
		}
		if tc.msg == "assignment to entry in nil map" {
			var re interface{ RuntimeError() }
			if !errors.As(f.Err, &re) {
				t.Errorf("a runtime panic's value is its runtime.Error: %T", f.Err)
			}
		}
	}
}
