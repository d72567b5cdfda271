package pool_test

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/shmkit/shmkit/internal/testutil"
	"github.com/shmkit/shmkit/internal/testutil/segtest"
	"github.com/shmkit/shmkit/pool"
	"github.com/shmkit/shmkit/process"
	"github.com/shmkit/shmkit/shm"
)

// ErrSayWhen is CPython's SayWhenError, registered so that it arrives as
// itself.
var ErrSayWhen = process.RegisterError(errors.New("say when"))

// LimitError is an error type registered for errors.As.
type LimitError struct{ Limit int }

func (e *LimitError) Error() string { return fmt.Sprintf("over limit %d", e.Limit) }

func init() { process.RegisterErrorType[*LimitError](nil) }

var failsAs = process.Register("pooltest.failsas", func(ctx context.Context, how string) (int, error) {
	switch how {
	case "ok":
		return 1, nil
	case "sentinel":
		return 0, fmt.Errorf("%w: at 3", ErrSayWhen)
	case "typed":
		return 0, fmt.Errorf("item: %w", &LimitError{7})
	case "stdlib":
		_, err := os.Open("/nonexistent/shmkit")
		return 0, err
	case "big":
		return 0, errors.New(strings.Repeat("x", 1<<20))
	case "deadline":
		<-ctx.Done()
		return 0, ctx.Err()
	}
	panic(fmt.Errorf("%w in a panic", ErrSayWhen))
})

// A task's error reaches Apply and Map so that errors.Is and errors.As
// work, through the *TaskError and Map's "input N" wrapping (CPython's
// test_wrapped_exception and test_traceback: the same exception type, and
// where it was raised).
func TestPoolErrorsKeepIdentity(t *testing.T) {
	ctx := testutil.Context(t)
	p := newPool(t, pool.Options{Workers: 2})
	var le *LimitError
	var te *pool.TaskError
	for _, tc := range []struct {
		how   string
		check func(error) bool
	}{
		{"sentinel", func(err error) bool { return errors.Is(err, ErrSayWhen) }},
		{"typed", func(err error) bool { return errors.As(err, &le) && le.Limit == 7 }},
		{"stdlib", func(err error) bool { return errors.Is(err, fs.ErrNotExist) }},
		{"panic", func(err error) bool {
			return errors.Is(err, ErrSayWhen) && errors.As(err, &te) && te.Panic &&
				strings.Contains(te.Frame, "errors_test.go:") && !strings.Contains(err.Error(), "goroutine")
		}},
	} {
		_, err := pool.Apply(ctx, p, failsAs, tc.how)
		if !errors.As(err, &te) || !strings.HasPrefix(te.Worker, "PoolWorker-") || !tc.check(err) {
			t.Errorf("Apply %s: %v", tc.how, err)
		}
		_, err = pool.Map(ctx, p, failsAs, []string{"ok", tc.how, "ok"})
		if !strings.Contains(fmt.Sprint(err), "input 1") || !tc.check(err) {
			t.Errorf("Map %s: %v", tc.how, err)
		}
	}
	// The ends of a task's ctx are errors.Is-able too.
	_, err := pool.Apply(ctx, p, failsAs, "deadline", pool.Timeout(50*time.Millisecond))
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Apply past its Timeout: %v", err)
	}
}

var attachBytes = process.Register("pooltest.attachbytes", func(ctx context.Context, h shm.Handle) (int, error) {
	o, err := shm.Attach(h, shm.KindBytes, 0)
	if err != nil {
		return 0, err
	}
	return len(o.Bytes()), nil
})

// An object in an anonymous segment made after pool.New cannot reach the
// workers: the error says why, and the fix.
func TestPoolSegmentAfterNewSaysTheFix(t *testing.T) {
	ctx := testutil.Context(t)
	before := segtest.New(t)
	in, err := before.Alloc("in", 64, 8)
	if err != nil {
		t.Fatal(err)
	}
	p := newPool(t, pool.Options{Workers: 1})
	if n, err := pool.Apply(ctx, p, attachBytes, in.Handle()); err != nil || n != 64 {
		t.Fatalf("a segment made before New: %d, %v", n, err)
	}
	after := segtest.New(t)
	out, err := after.Alloc("out", 64, 8)
	if err != nil {
		t.Fatal(err)
	}
	_, err = pool.Apply(ctx, p, attachBytes, out.Handle())
	if !errors.Is(err, os.ErrNotExist) || !strings.Contains(err.Error(), "before pool.New") {
		t.Fatalf("a segment made after New: %v", err)
	}
}
