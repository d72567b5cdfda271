package pool_test

import (
	"os"
	"testing"

	"github.com/shmkit/shmkit/internal/testutil/leak"
	"github.com/shmkit/shmkit/process"
)

// TestMain turns a re-executed test binary into its role: a pool worker
// (or a process task) when process.Main finds the marker.
func TestMain(m *testing.M) {
	process.Main()
	os.Exit(leak.Main(m))
}
