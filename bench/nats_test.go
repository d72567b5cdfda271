package bench

import (
	"os"
	"os/exec"
	"testing"
)

// TestNATSRows runs the NATS rows' cases (tiny, with a flipped byte, and
// for leaks) in a test binary built with -tags nats, when this one was
// built without: the rows are off in a plain build (nats_off.go), and
// would rot unseen. About 10 s, most of it the build; skipped with -short.
func TestNATSRows(t *testing.T) {
	if natsBuilt {
		t.Skip("built with -tags nats: TestEveryCase and TestCorruptionCaught run the rows")
	}
	if testing.Short() {
		t.Skip("builds the bench with -tags nats")
	}
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command:", err)
	}
	cmd := exec.Command(gobin, "test", "-count=1", "-tags", "nats",
		"-run", "^(TestEveryCase|TestCorruptionCaught)$/^(dict|pool-trivial)$/^nats-|^TestOpsNoLeaks$", ".")
	cmd.Env = os.Environ()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go test -tags nats: %v\n%s", err, out)
	}
}
