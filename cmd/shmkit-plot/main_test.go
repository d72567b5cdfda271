package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shmkit/shmkit/bench"
)

// report is a small run with both charts' results, a failed one among them.
func report(t *testing.T) []byte {
	t.Helper()
	rep := bench.Report{Machine: bench.Machine{CPU: "test CPU", Cores: 2}}
	for _, size := range []int{64, 4096} {
		rep.Results = append(rep.Results,
			bench.Result{Scenario: "stream", Transport: "shm-spsc", Mode: "spin", Size: size, Ops: 10, BytesPerS: float64(size) * 1e7, MsgsPerS: 1e7},
			bench.Result{Scenario: "stream", Transport: "pipe-raw", Size: size, Ops: 10, BytesPerS: float64(size) * 1e6, MsgsPerS: 1e6},
			bench.Result{Scenario: "memcpy", Transport: "memcpy", Size: size, Ops: 10, BytesPerS: float64(size) * 1e8, MsgsPerS: 1e8},
			bench.Result{Scenario: "pingpong", Transport: "shm-spsc", Mode: "spin", Size: size, Ops: 10, P50Ns: 300, P99Ns: 900},
			bench.Result{Scenario: "pingpong", Transport: "pipe-raw", Size: size, Ops: 10, P50Ns: 9000, P99Ns: 20000},
			bench.Result{Scenario: "pingpong", Transport: "os-pipe", Size: size, Note: "FAILED: broken", Failed: true})
	}
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestPlotFromFileAndStdin(t *testing.T) {
	in := filepath.Join(t.TempDir(), "run.json")
	if err := os.WriteFile(in, report(t), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, args := range [][]string{{in}, {"-"}, {}} {
		dir := filepath.Join(t.TempDir(), "charts")
		var out, errOut bytes.Buffer
		if code := run(append([]string{"-o", dir}, args...), bytes.NewReader(report(t)), &out, &errOut); code != 0 {
			t.Fatalf("%q: exit %d: %s", args, code, errOut.String())
		}
		for _, f := range []string{"stream-throughput.svg", "pingpong-latency.svg"} {
			b, err := os.ReadFile(filepath.Join(dir, f))
			if err != nil {
				t.Fatalf("%q: %v", args, err)
			}
			if !strings.Contains(string(b), "<svg") || !strings.Contains(string(b), "shm-spsc spin") {
				t.Errorf("%q: %s is not the chart: %.200q", args, f, b)
			}
			if !strings.Contains(out.String(), "wrote "+filepath.Join(dir, f)) {
				t.Errorf("%q: stdout does not name %s: %q", args, f, out.String())
			}
		}
	}
}

// A report with nothing to chart writes nothing and succeeds.
func TestPlotNothingToChart(t *testing.T) {
	dir := t.TempDir()
	var out, errOut bytes.Buffer
	rep := `{"machine": {"cpu": "x"}, "results": [{"scenario": "lock", "transport": "shm-mutex", "ops": 1, "msgs_per_s": 5}]}`
	if code := run([]string{"-o", dir}, strings.NewReader(rep), &out, &errOut); code != 0 || out.Len() != 0 {
		t.Fatalf("exit %d, stdout %q, stderr %q", code, out.String(), errOut.String())
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 0 {
		t.Fatalf("wrote %v", ents)
	}
}

func TestPlotBadInput(t *testing.T) {
	dir := t.TempDir()
	for _, c := range []struct {
		args  []string
		stdin string
		msg   string
	}{
		{[]string{"-o", dir}, "not json", "reading a report from standard input"},
		{[]string{"-o", dir, filepath.Join(dir, "absent.json")}, "", "absent.json"},
		{[]string{"-o", dir, "a", "b"}, "", `unexpected argument "b"`},
		{[]string{"-frobnicate"}, "", "flag provided but not defined"},
	} {
		var out, errOut bytes.Buffer
		if code := run(c.args, strings.NewReader(c.stdin), &out, &errOut); code != 2 || !strings.Contains(errOut.String(), c.msg) {
			t.Errorf("%q: exit %d, stderr %q; want 2 and %q", c.args, code, errOut.String(), c.msg)
		}
	}
}
