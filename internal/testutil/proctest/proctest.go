// Package proctest starts child processes for cross-process tests and
// makes sure none outlives its test. Test code only.
//
// It imports process, so only the external test packages (ring_test,
// sync_test, …) of the packages below process may use it, never their
// internal tests.
package proctest

import (
	"context"
	"testing"

	"github.com/shmkit/shmkit/process"
)

// Start starts task(arg) in a child, failing the test if it cannot, and
// kills and reaps the child at cleanup (a no-op for one already joined).
func Start[A, R any](tb testing.TB, ctx context.Context, task *process.Task[A, R], arg A, opts ...process.Option) *process.Process {
	tb.Helper()
	p, err := process.Start(ctx, task, arg, opts...)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { p.Kill(); p.Join(context.Background()) })
	return p
}

// StartHolding starts task(arg), a child that takes something (a lock, a
// reader slot) and then stays until killed, and returns once held reports
// that it has it — typically the Wait of an event the child sets. The
// tests of what a dead holder leaves behind begin here: kill the child,
// then take over what it held.
func StartHolding[A, R any](tb testing.TB, ctx context.Context, task *process.Task[A, R], arg A, held func(context.Context) error) *process.Process {
	tb.Helper()
	p := Start(tb, ctx, task, arg)
	if err := held(ctx); err != nil {
		tb.Fatalf("waiting for the child to hold: %v", err)
	}
	return p
}
