package bench

import (
	"os"
	"testing"

	"github.com/shmkit/shmkit/internal/testutil/leak"
	"github.com/shmkit/shmkit/process"
)

// patternAtInit: whether package initialisation generated the pattern,
// which every process start would pay for (see pattern.go).
var patternAtInit bool

func TestMain(m *testing.M) {
	patternAtInit = pattern.cur.Load() != nil // every init has run, no test yet
	process.Main()
	os.Exit(leak.Main(m, leak.Cleanup(CleanupPython)))
}

func TestNoPatternAtInit(t *testing.T) {
	if patternAtInit {
		t.Fatal("the pattern was generated before main: every process start pays for it")
	}
}
