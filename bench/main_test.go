package bench

import (
	"os"
	"testing"

	"github.com/shmkit/shmkit/process"
)

func TestMain(m *testing.M) {
	process.Main()
	code := m.Run()
	CleanupPython()
	os.Exit(code)
}
