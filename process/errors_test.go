package process_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"testing"

	"github.com/shmkit/shmkit/internal/testutil"
	"github.com/shmkit/shmkit/process"
)

// ErrQuota is a sentinel registered as tasks are: it arrives as itself.
var ErrQuota = process.RegisterError(errors.New("over quota"))

// QuotaError is an error type registered for errors.As.
type QuotaError struct {
	User  string
	Limit int
}

func (e *QuotaError) Error() string { return fmt.Sprintf("%s over quota %d", e.User, e.Limit) }

func init() { process.RegisterErrorType[*QuotaError](nil) }

// failsAs fails in the way its argument names.
var failsAs = process.Register("test.failsas", func(ctx context.Context, how string) (struct{}, error) {
	switch how {
	case "sentinel":
		return struct{}{}, fmt.Errorf("%w: user ann", ErrQuota)
	case "typed":
		return struct{}{}, fmt.Errorf("job 3: %w", &QuotaError{"ann", 10})
	case "text":
		return struct{}{}, fmt.Errorf("outer: %w", fmt.Errorf("middle: %w", errors.New("inner")))
	case "stdlib":
		_, err := os.Open("/nonexistent/shmkit")
		return struct{}{}, fmt.Errorf("loading: %w", err)
	case "big":
		return struct{}{}, errors.New(strings.Repeat("x", 1<<20)) // CPython's raise_large_valuerror
	case "panic-error":
		panic(fmt.Errorf("%w while panicking", ErrQuota))
	}
	panic("boom") // a panic with a value that is no error
})

// A task's error arrives so that errors.Is and errors.As work in the
// parent, through the *ExitError, and prints as it did in the child.
func TestErrorsCrossToParent(t *testing.T) {
	ctx := testutil.Context(t)
	for _, tc := range []struct {
		how   string
		check func(error) bool
		msg   string
	}{
		{"sentinel", func(err error) bool { return errors.Is(err, ErrQuota) }, "over quota: user ann"},
		{"typed", func(err error) bool {
			var q *QuotaError
			return errors.As(err, &q) && q.User == "ann" && q.Limit == 10
		}, "job 3: ann over quota 10"},
		{"text", func(err error) bool { return !errors.Is(err, ErrQuota) }, "outer: middle: inner"},
		{"stdlib", func(err error) bool { return errors.Is(err, fs.ErrNotExist) }, "loading: open /nonexistent/shmkit: no such file or directory"},
		{"big", func(err error) bool { return true }, strings.Repeat("x", 1<<20)},
	} {
		t.Run(tc.how, func(t *testing.T) {
			_, err := process.Run(ctx, failsAs, tc.how)
			var ee *process.ExitError
			if !errors.As(err, &ee) || ee.Panic || ee.Code != 1 {
				t.Fatalf("Run = %v", err)
			}
			if !tc.check(err) {
				t.Fatalf("errors.Is/As fail on %v", err)
			}
			if ee.Message != tc.msg || ee.Err.Error() != tc.msg {
				t.Fatalf("message %.80q, want %.80q", ee.Message, tc.msg)
			}
		})
	}
}

// A panic reports its value and the frame where it happened; the stack
// is in a field, not in Error(). A panic's value that is an error keeps
// its identity.
func TestPanicReportsFrame(t *testing.T) {
	ctx := testutil.Context(t)
	_, err := process.Run(ctx, failsAs, "panic")
	var ee *process.ExitError
	if !errors.As(err, &ee) || !ee.Panic || ee.Message != "boom" || ee.Code != 2 {
		t.Fatalf("Run = %v", err)
	}
	if !strings.Contains(ee.Frame, "errors_test.go:") || !strings.Contains(err.Error(), ee.Frame) {
		t.Fatalf("frame %q in %q, want errors_test.go", ee.Frame, err)
	}
	if strings.Contains(err.Error(), "goroutine") || !strings.Contains(ee.Stack, "goroutine") {
		t.Fatalf("the stack belongs in Stack, not Error(): %q", err)
	}
	_, err = process.Run(ctx, failsAs, "panic-error")
	if !errors.As(err, &ee) || !ee.Panic || !errors.Is(err, ErrQuota) {
		t.Fatalf("a panic with an error: %v", err)
	}
}

// An unknown task's error says so once, and is ErrUnknownTask.
func TestUnknownTaskError(t *testing.T) {
	_, err := process.Run(testutil.Context(t), new(process.Task[int, int]), 1)
	if !errors.Is(err, process.ErrUnknownTask) || strings.Count(err.Error(), "not registered") != 1 {
		t.Fatalf("Run of an unregistered task = %v", err)
	}
}
