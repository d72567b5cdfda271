package bench

import (
	"context"
	"strings"
	"testing"
	"time"
)

// The scenarios without messages (lock, value, dict, pool-trivial,
// pool-cpu, spawn): their exact checks are in TestEveryCase and
// TestCorruptionCaught; here, their hung workers and their leftovers.

// TestHungWorkerKilled: a crew worker that never finishes is killed at the
// case's bound and the result says so.
func TestHungWorkerKilled(t *testing.T) {
	for _, c := range []Case{
		{Scenario: "lock", Transport: "shm-mutex", Mode: "contended"},
		{Scenario: "value", Transport: "value-int", Mode: "update"},
		{Scenario: "dict", Transport: "tcp-dict", Mode: "get"},
	} {
		c.Ops, c.Timeout, c.hooks.Hang = 100, 1500*time.Millisecond, true
		t.Run(c.Scenario+"/"+c.Label(), func(t *testing.T) {
			start := time.Now()
			r := RunCase(context.Background(), c)
			if !r.Failed || !strings.Contains(r.Note, "hung") || !strings.Contains(r.Note, "killed") {
				t.Fatalf("hang not reported: failed=%v note=%q", r.Failed, r.Note)
			}
			if d := time.Since(start); d > 30*time.Second {
				t.Fatalf("hung case took %v to end", d)
			}
			if r.MsgsPerS != 0 || r.NsPerOp != 0 {
				t.Fatalf("a hung case reports figures: %+v", r)
			}
		})
	}
}

// TestOpsNoLeaks: the Go cases of these scenarios, failed ones included,
// leave no descriptor open and no child process behind.
func TestOpsNoLeaks(t *testing.T) {
	var cases []Case
	for _, name := range []string{"lock", "value", "dict", "pool-trivial", "pool-cpu", "spawn"} {
		s, _ := Lookup(name)
		for _, c := range s.Cases(Config{Quick: true}) {
			if c.Transport == cpythonMP {
				continue
			}
			c.Ops, c.Timeout = min(c.Ops, 16), time.Minute
			cases = append(cases, c)
			if c.Mode != "pool" || c.Scenario != "spawn" {
				c.hooks.Corrupt = 2
				cases = append(cases, c)
			}
		}
	}
	run := func() {
		for _, c := range cases {
			r := RunCase(context.Background(), c)
			if strings.HasPrefix(r.Note, "skipped:") {
				continue // a row this build leaves out (nats-…, without -tags nats)
			}
			if r.Failed != (c.hooks.Corrupt > 0) {
				t.Fatalf("%s/%s corrupt=%d: failed=%v %s", c.Scenario, c.Label(), c.hooks.Corrupt, r.Failed, r.Note)
			}
		}
	}
	run() // warm up: the runtime and package process open descriptors once
	before := openFDs(t)
	run()
	deadline := time.Now().Add(10 * time.Second)
	for children() != "" && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if c := children(); c != "" {
		t.Errorf("children left running: %s", c)
	}
	if after := openFDs(t); after > before {
		t.Errorf("%d descriptors open before, %d after", before, after)
	}
}
