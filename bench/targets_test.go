package bench

import (
	"bytes"
	"strings"
	"testing"
)

// TestTargets evaluates the DESIGN.md targets on made-up results.
func TestTargets(t *testing.T) {
	rs := []Result{
		{Scenario: "stream", Transport: "pipe-raw", Size: 64, Batch: 1, MsgsPerS: 2e6},
		{Scenario: "stream", Transport: "os-pipe", Size: 64, Batch: 1, MsgsPerS: 1e6},
		{Scenario: "stream", Transport: "shm-spsc", Mode: "spin", Size: 64, Batch: 1, MsgsPerS: 30e6},
		{Scenario: "stream", Transport: "shm-spsc", Mode: "blocking", Size: 64, Batch: 1, MsgsPerS: 10e6},
		{Scenario: "pingpong", Transport: "pipe-raw", Size: 8, Batch: 1, P50Ns: 4000},
		{Scenario: "pingpong", Transport: "shm-spsc", Mode: "blocking", Size: 8, Batch: 1, P50Ns: 5000},
		{Scenario: "pingpong", Transport: "shm-spsc", Mode: "spin", Size: 8, Batch: 1, Failed: true},
	}
	var buf bytes.Buffer
	WriteTargets(&buf, Report{Results: rs})
	out := buf.String()
	for _, want := range []string{
		"SPSC 64 B stream / faster pipe  ", "15×", "shm-spsc spin vs pipe-raw",
		"SPSC blocking round trip 8 B: pipe-raw p50 / p50", "0.80×",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
	if strings.Contains(out, "SPSC spin round trip") || strings.Contains(out, "fanin") {
		t.Errorf("targets without results shown:\n%s", out)
	}
	lines := strings.Split(out, "\n")
	for _, l := range lines {
		if strings.HasPrefix(l, "SPSC 64 B stream / faster pipe ") && !strings.Contains(l, " yes ") {
			t.Errorf("15× against ≥ 10× not met: %q", l)
		}
		if strings.HasPrefix(l, "SPSC blocking round trip") && !strings.Contains(l, " no ") {
			t.Errorf("0.8× against ≥ 1× met: %q", l)
		}
	}
}

// TestMedian keeps the middle round by speed and notes failed rounds.
func TestMedian(t *testing.T) {
	rs := []Result{{P50Ns: 300}, {P50Ns: 100}, {Failed: true, Note: "FAILED: x"}, {P50Ns: 200}}
	m := median(rs, Latency)
	if m.P50Ns != 200 || !strings.Contains(m.Note, "1 of 4 failed") {
		t.Fatalf("median: %+v", m)
	}
	rs = []Result{{MsgsPerS: 5}, {MsgsPerS: 1}, {MsgsPerS: 3}}
	if m := median(rs, Throughput); m.MsgsPerS != 3 || m.Note != "median of 3 rounds" {
		t.Fatalf("median: %+v", m)
	}
	if m := median([]Result{{Failed: true, Note: "FAILED: a"}, {Failed: true, Note: "FAILED: b"}}, Latency); !m.Failed {
		t.Fatalf("all failed: %+v", m)
	}
}
