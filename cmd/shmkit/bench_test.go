package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestBenchBadInput: bad names, sizes, flags and output paths are refused
// with exit status 2 and a message before anything runs.
func TestBenchBadInput(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "a-file")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		args []string
		msg  string
	}{
		{[]string{"--only", "nope"}, `unknown scenario "nope"`},
		{[]string{"--only", "pingpong,nope"}, `unknown scenario "nope"`},
		{[]string{"--transports", "carrier-pigeon"}, `unknown transport "carrier-pigeon"`},
		{[]string{"--sizes", "4"}, "--sizes"},
		{[]string{"--sizes", "abc"}, `bad size "abc"`},
		{[]string{"--sizes", "0"}, `bad size "0"`},
		{[]string{"--sizes", "64,-1"}, `bad size "-1"`},
		{[]string{"--sizes", "17M"}, `size "17M"`},
		{[]string{"--rounds", "-1"}, "--rounds"},
		{[]string{"--frobnicate"}, "flag provided but not defined"},
		{[]string{"extra"}, `unexpected argument "extra"`},
		{[]string{"--only", "memcpy", "--transports", "pipe-raw"}, "nothing to run"},
		// A directory that cannot exist: its parent is a regular file
		// (root ignores permission bits, not this).
		{[]string{"--only", "memcpy", "--json", filepath.Join(file, "out.json")}, "--json"},
		{[]string{"--only", "memcpy", "--json", dir}, "--json"},
		{[]string{"--only", "memcpy", "--plot", filepath.Join(file, "charts")}, "--plot"},
	}
	for _, c := range cases {
		start := time.Now()
		code, out, errOut := runCLI(append([]string{"bench"}, c.args...)...)
		if code != 2 || !strings.Contains(errOut, c.msg) {
			t.Errorf("shmkit bench %q: exit %d, stderr %q; want 2 and %q", c.args, code, errOut, c.msg)
		}
		if out != "" {
			t.Errorf("shmkit bench %q ran something:\n%s", c.args, out)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("shmkit bench %q took %v to refuse", c.args, d)
		}
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("refused runs left files behind: %v", ents)
	}
}

// TestBenchList names every scenario, the later ones included.
func TestBenchList(t *testing.T) {
	code, out, _ := runCLI("bench", "--list")
	if code != 0 {
		t.Fatalf("--list: exit %d", code)
	}
	for _, s := range []string{"pingpong", "stream", "fanin", "memcpy", "lock", "value", "dict", "pool-trivial", "pool-cpu", "spawn", "cpython-mp", "shm-spsc"} {
		if !strings.Contains(out, s) {
			t.Errorf("--list lacks %q:\n%s", s, out)
		}
	}
}

// TestBenchRun: a small real run writes its table, a JSON report in the
// schema, and SVG charts (drawn by shmkit-plot).
func TestBenchRun(t *testing.T) {
	t.Setenv(plotEnv, buildPlotter(t))
	dir := t.TempDir()
	jsonPath := filepath.Join(dir, "out.json")
	plotDir := filepath.Join(dir, "charts")
	code, out, errOut := runCLI("bench", "--quick", "--only", "pingpong,memcpy,lock",
		"--transports", "pipe-raw,memcpy,shm-mutex", "--sizes", "64", "--json", jsonPath, "--plot", plotDir)
	if code != 0 {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	for _, want := range []string{"machine: ", "pingpong: ", "memcpy: ", "lock: ", "pipe-raw", "shm-mutex contended", "shm-mutex uncontended"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "FAILED") {
		t.Errorf("a case failed:\n%s", out)
	}

	b, err := os.ReadFile(jsonPath)
	if err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Machine map[string]any   `json:"machine"`
		Results []map[string]any `json:"results"`
	}
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatalf("--json output is not JSON: %v\n%s", err, b)
	}
	for _, k := range []string{"cpu", "cores", "gomaxprocs", "kernel", "go"} {
		if _, ok := rep.Machine[k]; !ok {
			t.Errorf("machine lacks %q: %v", k, rep.Machine)
		}
	}
	if n, ok := rep.Machine["cores"].(float64); !ok || n < 1 {
		t.Errorf("machine cores: %v", rep.Machine["cores"])
	}
	fields := []string{"scenario", "transport", "mode", "size", "batch", "ops", "ns_per_op", "p50_ns", "p99_ns",
		"max_ns", "msgs_per_s", "bytes_per_s", "baseline", "ratio", "note"}
	seen := map[string]bool{}
	for _, r := range rep.Results {
		if len(r) != len(fields) {
			t.Errorf("result has %d keys, want %d: %v", len(r), len(fields), r)
		}
		for _, k := range fields {
			if _, ok := r[k]; !ok {
				t.Errorf("result lacks %q: %v", k, r)
			}
		}
		sc, _ := r["scenario"].(string)
		seen[sc+"/"+r["transport"].(string)] = true
		if ops, ok := r["ops"].(float64); !ok || ops <= 0 {
			t.Errorf("ops: %v", r)
		}
		if rate, ok := r["msgs_per_s"].(float64); !ok || rate <= 0 {
			t.Errorf("msgs_per_s: %v", r)
		}
		if sc == "pingpong" {
			if p50, ok := r["p50_ns"].(float64); !ok || p50 <= 0 {
				t.Errorf("pingpong without p50: %v", r)
			}
			if r["baseline"] != "pipe-raw" || r["ratio"] != 1.0 {
				t.Errorf("pipe-raw is its own baseline with ratio 1: %v", r)
			}
		}
	}
	for _, want := range []string{"pingpong/pipe-raw", "memcpy/memcpy", "lock/shm-mutex"} {
		if !seen[want] {
			t.Errorf("no %s result in %v", want, seen)
		}
	}

	for _, f := range []string{"pingpong.svg", "memcpy.svg", "lock.svg"} {
		b, err := os.ReadFile(filepath.Join(plotDir, f))
		if err != nil {
			t.Errorf("--plot: %v", err)
			continue
		}
		if !strings.Contains(string(b), "<svg") {
			t.Errorf("%s is not SVG: %.100q", f, b)
		}
		if !strings.Contains(out, "wrote "+filepath.Join(plotDir, f)) {
			t.Errorf("stdout does not name %s:\n%s", f, out)
		}
	}
}

// TestBenchJSONCharts: --json alone also draws the charts, beside the
// report and named after it, when shmkit-plot is there; without it the
// run still succeeds and says how to draw them.
func TestBenchJSONCharts(t *testing.T) {
	t.Setenv(plotEnv, buildPlotter(t))
	dir := t.TempDir()
	jsonPath := filepath.Join(dir, "run.json")
	code, out, errOut := runCLI("bench", "--quick", "--only", "memcpy", "--sizes", "64,4K", "--json", jsonPath)
	chart := filepath.Join(dir, "run-memcpy.svg")
	if code != 0 || !strings.Contains(out, "wrote "+chart) {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out, errOut)
	}
	if b, err := os.ReadFile(chart); err != nil || !strings.Contains(string(b), "<svg") {
		t.Fatalf("%s: %v", chart, err)
	}

	t.Setenv(plotEnv, "")
	t.Setenv("PATH", t.TempDir())
	code, _, errOut = runCLI("bench", "--quick", "--only", "memcpy", "--sizes", "64", "--json", jsonPath)
	if code != 0 || !strings.Contains(errOut, "no charts") || !strings.Contains(errOut, plotCommand+" "+jsonPath) {
		t.Fatalf("without shmkit-plot: exit %d, stderr %q", code, errOut)
	}
}
