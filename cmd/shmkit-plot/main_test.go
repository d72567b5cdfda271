package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shmkit/shmkit/bench"
	"gonum.org/v1/plot/plotter"
)

// report is a small run with results of every chart kind, a failed one
// among them.
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
	rep.Results = append(rep.Results,
		bench.Result{Scenario: "lock", Transport: "shm-mutex", Mode: "contended", Ops: 10, MsgsPerS: 4e7, Baseline: "cpython-mp", Ratio: 60},
		bench.Result{Scenario: "lock", Transport: "cpython-mp", Mode: "contended", Ops: 10, MsgsPerS: 7e5, Baseline: "cpython-mp", Ratio: 1})
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var charts = []string{"pingpong.svg", "stream.svg", "memcpy.svg", "lock.svg"}

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
		for _, f := range charts {
			b, err := os.ReadFile(filepath.Join(dir, f))
			if err != nil {
				t.Fatalf("%q: %v", args, err)
			}
			if !strings.Contains(string(b), "<svg") || !strings.Contains(string(b), "Arial") {
				t.Errorf("%q: %s is not a chart with a fallback font: %.200q", args, f, b)
			}
			if !strings.Contains(out.String(), "wrote "+filepath.Join(dir, f)) {
				t.Errorf("%q: stdout does not name %s: %q", args, f, out.String())
			}
		}
	}
	// Without -o: beside the report, named after it.
	var out, errOut bytes.Buffer
	if code := run([]string{in}, nil, &out, &errOut); code != 0 {
		t.Fatalf("exit %d: %s", code, errOut.String())
	}
	for _, f := range charts {
		if _, err := os.Stat(filepath.Join(filepath.Dir(in), "run-"+f)); err != nil {
			t.Errorf("beside the report: %v", err)
		}
	}
	if b, _ := os.ReadFile(filepath.Join(filepath.Dir(in), "run-pingpong.svg")); !strings.Contains(string(b), "shm-spsc spin") ||
		strings.Contains(string(b), "os-pipe") {
		t.Errorf("pingpong chart: a measured transport missing, or a failed one drawn")
	}
}

// Every scenario the suite registers gets a chart from its results.
func TestEveryScenarioCharted(t *testing.T) {
	rep := bench.Report{Machine: bench.Machine{CPU: "test CPU", Cores: 2}}
	for _, s := range bench.Scenarios() {
		for i, c := range s.Cases(bench.Config{Quick: true}) {
			r := bench.Result{Scenario: c.Scenario, Transport: c.Transport, Mode: c.Mode, Size: c.Size, Batch: c.Batch,
				Ops: 10, MsgsPerS: float64(1000 * (i + 1)), Ratio: float64(i + 1)}
			if c.Size > 0 {
				r.BytesPerS = r.MsgsPerS * float64(c.Size)
			}
			if s.Kind == bench.Latency {
				r.P50Ns, r.P99Ns = float64(100*(i+1)), float64(300*(i+1))
			}
			rep.Results = append(rep.Results, r)
		}
	}
	dir := t.TempDir()
	files, err := writePlots(dir, "", rep)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range bench.Scenarios() {
		if _, err := os.Stat(filepath.Join(dir, s.Name+".svg")); err != nil {
			t.Errorf("no chart of %s: %v (wrote %v)", s.Name, err, files)
		}
	}
}

// A series that skipped a size has no line across it: only its markers.
func TestSegmentsSkipUnmeasured(t *testing.T) {
	sizes := []int{64, 4096, 65536, 1 << 20}
	xy := plotter.XYs{{X: 64, Y: 1}, {X: 4096, Y: 2}, {X: 1 << 20, Y: 3}}
	segs := segments(xy, sizes)
	if len(segs) != 1 || len(segs[0].XYs) != 2 || segs[0].XYs[1].X != 4096 {
		t.Fatalf("segments: %v", segs)
	}
}

// The first series look alike in no two of colour, marker and dashes.
func TestSeriesDistinct(t *testing.T) {
	seen := map[string]int{}
	for i := range 24 {
		c, g, d := seriesStyle(i)
		k := strings.Join([]string{colorKey(c), typeName(g), typeName(len(d))}, "/")
		if j, ok := seen[k]; ok {
			t.Errorf("series %d looks like series %d", i, j)
		}
		seen[k] = i
		r, gg, b, _ := c.RGBA()
		if r == gg && gg == b {
			t.Errorf("series %d is grey, the baselines' colour", i)
		}
	}
}

// Every p99 lies inside the latency chart's frame, and every point inside
// the throughput chart's.
func TestPointsInsideFrame(t *testing.T) {
	var rep bench.Report
	if err := json.Unmarshal(report(t), &rep); err != nil {
		t.Fatal(err)
	}
	lat := latencyChart(rep, "pingpong", results(rep, "pingpong", func(r bench.Result) bool { return r.P50Ns > 0 }))
	for _, r := range rep.Results {
		if r.Scenario == "pingpong" && !r.Failed && (r.P99Ns >= lat.p.X.Max || r.P50Ns <= lat.p.X.Min) {
			t.Errorf("%s %d: p50 %v p99 %v outside %v..%v", r.Transport, r.Size, r.P50Ns, r.P99Ns, lat.p.X.Min, lat.p.X.Max)
		}
	}
	st := sizeChart(rep, "stream", results(rep, "stream", func(r bench.Result) bool { return r.BytesPerS > 0 }), false)
	for _, r := range rep.Results {
		if (r.Scenario == "stream" || r.Scenario == "memcpy") && (r.BytesPerS >= st.p.Y.Max || r.BytesPerS <= st.p.Y.Min ||
			float64(r.Size) <= st.p.X.Min || float64(r.Size) >= st.p.X.Max) {
			t.Errorf("%s %s %d outside the frame", r.Scenario, r.Transport, r.Size)
		}
	}
}

// A report with nothing to chart writes nothing and succeeds.
func TestPlotNothingToChart(t *testing.T) {
	dir := t.TempDir()
	var out, errOut bytes.Buffer
	rep := `{"machine": {"cpu": "x"}, "results": [{"scenario": "lock", "transport": "shm-mutex", "ops": 1, "note": "FAILED: no"}]}`
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

func colorKey(c interface{ RGBA() (r, g, b, a uint32) }) string {
	r, g, b, _ := c.RGBA()
	return string(rune(r>>8)) + string(rune(g>>8)) + string(rune(b>>8))
}

func typeName(v any) string { return strings.TrimPrefix(fmt.Sprintf("%T%v", v, v), "draw.") }
