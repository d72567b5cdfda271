package bench

import (
	"bytes"
	"strings"
	"testing"
)

// TestTargets evaluates the targets (bench/README.md) on made-up results.
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

// TestOpTargets evaluates the targets of the scenarios without messages.
func TestOpTargets(t *testing.T) {
	rs := []Result{
		{Scenario: "value", Transport: "value-int", Mode: "add", MsgsPerS: 75e6},
		{Scenario: "value", Transport: "value-int", Mode: "update", MsgsPerS: 5e6},
		{Scenario: "value", Transport: "cpython-mp", Mode: "locked", MsgsPerS: 1.25e6},
		{Scenario: "pool-cpu", Transport: "process-pool", Mode: "serial", MsgsPerS: 1000},
		{Scenario: "pool-cpu", Transport: "process-pool", Mode: "pool", MsgsPerS: 1950},
		{Scenario: "pool-cpu", Transport: "goroutines", Mode: "pool", MsgsPerS: 1970},
		{Scenario: "pool-cpu", Transport: "cpython-mp", Mode: "serial", MsgsPerS: 50},
		{Scenario: "pool-cpu", Transport: "cpython-mp", Mode: "pool", MsgsPerS: 90},
		{Scenario: "spawn", Transport: "process", Mode: "spare", MsgsPerS: 600},
		{Scenario: "spawn", Transport: "process", Mode: "burst", MsgsPerS: 200},
		{Scenario: "spawn", Transport: "cpython-mp", Mode: "process", MsgsPerS: 400},
		{Scenario: "dict", Transport: "tcp-dict", Mode: "get", MsgsPerS: 30e3},
		{Scenario: "dict", Transport: "tcp-bare", Mode: "get", MsgsPerS: 40e3},
	}
	var buf bytes.Buffer
	WriteTargets(&buf, Report{Results: rs})
	out := buf.String()
	for _, want := range []string{
		"Value atomic Add, 2 processes / CPython locked", "60×", "value-int add vs cpython-mp locked",
		"Value CAS Update, 2 processes / CPython locked", "4.00×",
		"Pool CPU-bound speedup / goroutines' speedup", "(CPython's 1.80×)",
		"Start and join a child from a ready spare / CPython Process", "1.50×",
		"Start and join back to back / CPython Process", "0.50×",
		"Dict get over TCP, 1 at a time / bare TCP round trip", "0.75×",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("missing %q in:\n%s", want, out)
		}
	}
	if strings.Contains(out, "Pool trivial") || strings.Contains(out, "Dict set") {
		t.Errorf("targets without results shown:\n%s", out)
	}
	for _, l := range strings.Split(out, "\n") {
		met := strings.Contains(l, " yes ")
		switch {
		case strings.HasPrefix(l, "Value atomic"), strings.HasPrefix(l, "Pool CPU-bound"):
			if !met {
				t.Errorf("not met: %q", l)
			}
		case strings.HasPrefix(l, "Value CAS"), strings.HasPrefix(l, "Start and join"), strings.HasPrefix(l, "Dict get over TCP"):
			if met {
				t.Errorf("met: %q", l)
			}
		}
	}
}
