package sync_test

import (
	"os"
	"testing"

	"github.com/shmkit/shmkit/internal/testutil"
	"github.com/shmkit/shmkit/internal/testutil/leak"
	"github.com/shmkit/shmkit/process"
	"github.com/shmkit/shmkit/shm"
)

func TestMain(m *testing.M) {
	process.Main()
	os.Exit(leak.Main(m))
}

// testTimeout bounds every test: the machine is small and shared.
const testTimeout = testutil.Timeout

func newSeg(t testing.TB) *shm.Segment { return testutil.Segment(t, 1<<20) }

func must[T any](t testing.TB) func(T, error) T { return testutil.Must[T](t) }
