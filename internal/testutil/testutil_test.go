package testutil

import (
	"testing"
	"time"
)

// TestContextScalesWithKillLoops: a long kill-loop run gets the time for
// its kills; a normal run keeps Timeout.
func TestContextScalesWithKillLoops(t *testing.T) {
	for _, c := range []struct {
		env  string
		want time.Duration
	}{
		{"", Timeout},
		{"50", Timeout},
		{"1000", 10 * Timeout},
	} {
		t.Setenv("SHMKIT_KILL_LOOPS", c.env)
		ctx := Context(t)
		d, ok := ctx.Deadline()
		if left := time.Until(d); !ok || left > c.want || left < c.want-time.Minute {
			t.Errorf("SHMKIT_KILL_LOOPS=%q: deadline in %v, want about %v", c.env, left, c.want)
		}
	}
}
