package pool_test

import (
	"context"
	"os"
	"testing"

	"github.com/shmkit/shmkit/internal/testutil"
	"github.com/shmkit/shmkit/internal/testutil/leak"
	"github.com/shmkit/shmkit/process"
)

// TestMain turns a re-executed test binary into its role: a pool worker
// (or a process task) when process.Main finds the marker.
func TestMain(m *testing.M) {
	process.Main()
	os.Exit(leak.Main(m))
}

func ctxT(t *testing.T) context.Context { return testutil.Context(t) }

func waitFor(t *testing.T, ctx context.Context, what string, cond func() bool) {
	t.Helper()
	testutil.WaitFor(t, ctx, what, cond)
}
