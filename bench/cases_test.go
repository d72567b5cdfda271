package bench

import (
	"context"
	"strings"
	"testing"
	"time"
)

// tinyCases returns every case of s, cut to a few operations.
func tinyCases(s *Scenario) []Case {
	var out []Case
	for _, c := range s.Cases(Config{Quick: true}) {
		c.Ops = min(c.Ops, 64)
		if c.Size >= 64<<10 {
			c.Ops = 8
		}
		c.Timeout = 60 * time.Second
		out = append(out, c)
	}
	return out
}

// TestEveryCase runs each scenario over each transport once, at every size
// with a few messages, across processes, and checks the figures exist.
func TestEveryCase(t *testing.T) {
	for _, s := range Scenarios() {
		for _, c := range tinyCases(s) {
			t.Run(s.Name+"/"+c.Label(), func(t *testing.T) {
				r := RunCase(context.Background(), c)
				if strings.HasPrefix(r.Note, "skipped:") {
					t.Skip(r.Note)
				}
				if r.Failed {
					t.Fatalf("%s: %s", c.Label(), r.Note)
				}
				if r.Ops <= 0 || r.NsPerOp <= 0 || r.MsgsPerS <= 0 {
					t.Fatalf("%s: missing figures: %+v", c.Label(), r)
				}
				if s.Kind == Latency && (r.P50Ns <= 0 || r.P99Ns < r.P50Ns || r.MaxNs < r.P99Ns) {
					t.Fatalf("%s: bad percentiles: %+v", c.Label(), r)
				}
				if s.Kind == Throughput && c.Size > 0 && r.BytesPerS <= 0 {
					t.Fatalf("%s: no bytes/s: %+v", c.Label(), r)
				}
			})
		}
	}
}
