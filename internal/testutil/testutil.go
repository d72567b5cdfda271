// Package testutil holds the helpers every shmkit test package needs: a
// bounded context, a must-succeed wrapper, a bounded poll and the kill-loop
// knob. Test code only.
//
// It imports nothing of shmkit, so that any package's tests can use it,
// shm's and the internal packages' own tests included. The helpers that
// need shmkit live one floor up, each in its own package: segtest (an
// anonymous segment closed at cleanup; imports shm) and proctest (a child
// killed and reaped at cleanup; imports process). Package leak checks that
// a test binary left nothing behind.
package testutil

import (
	"context"
	"os"
	"strconv"
	"testing"
	"time"
)

// Timeout bounds every test that waits or starts processes: the machines
// are small and shared, so it is generous, but never infinite.
const Timeout = 60 * time.Second

// Context returns a context ending after ContextTimeout, cancelled at
// cleanup.
func Context(tb testing.TB) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), ContextTimeout())
	tb.Cleanup(cancel)
	return ctx
}

// ContextTimeout is Timeout, scaled up in a long kill-loop run: with
// SHMKIT_KILL_LOOPS=n over 100, n/100 times as long, so that a loop test
// runs its n kills rather than its first few hundred (1000 kills of a
// Ring took longer than 60 s).
func ContextTimeout() time.Duration {
	if n := KillLoops(0); n > 100 {
		return Timeout * time.Duration(n) / 100
	}
	return Timeout
}

// Must returns a function that passes a value through and fails the test
// on an error: Must[*T](t)(NewT(...)).
func Must[T any](tb testing.TB) func(T, error) T {
	return func(v T, err error) T {
		tb.Helper()
		if err != nil {
			tb.Fatal(err)
		}
		return v
	}
}

// WaitFor polls cond every 2 ms until it holds, failing the test when ctx
// ends first.
func WaitFor(tb testing.TB, ctx context.Context, what string, cond func() bool) {
	tb.Helper()
	for !cond() {
		if ctx.Err() != nil {
			tb.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// KillLoops is how many random kills a kill-loop test makes: def in CI,
// SHMKIT_KILL_LOOPS for a long run (SHMKIT_KILL_LOOPS=200 go test -run
// Kill ./...).
func KillLoops(def int) int {
	if n, err := strconv.Atoi(os.Getenv("SHMKIT_KILL_LOOPS")); err == nil && n > 0 {
		return n
	}
	return def
}
