package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/shmkit/shmkit/bench"
)

// writePlots writes a chart of every scenario in rep into dir (created if
// missing), each file named prefix + the scenario + ".svg", and returns
// the files written. The kind of chart follows the scenario's figures:
//
//   - round trips (pingpong): p50 and p99 of each transport, a row each,
//     fastest first, sizes side by side; log scale;
//   - throughput at several message sizes (stream, memcpy): bytes/s by
//     size, a line per transport and mode, markers where measured and
//     lines only between neighbouring sizes both measured; log-log; the
//     stream chart has memcpy's line as the limit, and batched sends have
//     a chart of their own (SCENARIO-batched.svg);
//   - everything else (fanin, lock, value, dict, pools, spawn…): a bar
//     per transport and mode, as the ratio to the scenario's baseline
//     where it has one (the baseline's bar is grey, 1×), else its rate.
//
// Failed results are left out of the charts (their notes are in the
// tables).
func writePlots(dir, prefix string, rep bench.Report) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var files []string
	for _, sc := range scenariosIn(rep) {
		for _, nc := range chartsFor(rep, sc) {
			f := filepath.Join(dir, prefix+sc+nc.suffix+".svg")
			if err := nc.c.save(f); err != nil {
				return files, fmt.Errorf("writing %s: %w", f, err)
			}
			files = append(files, f)
		}
	}
	return files, nil
}

type namedChart struct {
	suffix string
	c      *chart
}

// scenariosIn returns the scenarios of rep's results, in their order.
func scenariosIn(rep bench.Report) []string {
	var out []string
	seen := map[string]bool{}
	for _, r := range rep.Results {
		if !seen[r.Scenario] {
			seen[r.Scenario] = true
			out = append(out, r.Scenario)
		}
	}
	return out
}

// results returns the scenario's results that have figures.
func results(rep bench.Report, scenario string, keep func(bench.Result) bool) []bench.Result {
	var out []bench.Result
	for _, r := range rep.Results {
		if r.Scenario == scenario && !r.Failed && keep(r) {
			out = append(out, r)
		}
	}
	return out
}

// chartsFor returns the charts of one scenario.
func chartsFor(rep bench.Report, scenario string) []namedChart {
	var out []namedChart
	add := func(suffix string, c *chart) {
		if c != nil {
			out = append(out, namedChart{suffix, c})
		}
	}
	latency := results(rep, scenario, func(r bench.Result) bool { return r.P50Ns > 0 && r.Size > 0 })
	s, _ := bench.Lookup(scenario)
	if len(latency) > 0 && (s == nil || s.Kind == bench.Latency) {
		add("", latencyChart(rep, scenario, latency))
		return out
	}
	sized := results(rep, scenario, func(r bench.Result) bool { return r.BytesPerS > 0 && r.Size > 0 })
	if len(distinctSizes(sized)) >= 2 {
		unbatched := results(rep, scenario, func(r bench.Result) bool { return r.BytesPerS > 0 && r.Size > 0 && r.Batch <= 1 })
		batched := results(rep, scenario, func(r bench.Result) bool { return r.BytesPerS > 0 && r.Size > 0 && r.Batch > 1 })
		add("", sizeChart(rep, scenario, unbatched, false))
		add("-batched", sizeChart(rep, scenario, batched, true))
		return out
	}
	add("", barChart(rep, scenario, results(rep, scenario, func(r bench.Result) bool { return r.MsgsPerS > 0 || r.Ratio > 0 })))
	return out
}

// title is the chart's title: the scenario and what it measures, the
// machine below.
func title(rep bench.Report, scenario, what string) string {
	doc := ""
	if s, ok := bench.Lookup(scenario); ok {
		doc = ": " + s.Doc
	}
	return fmt.Sprintf("%s%s\n%s\n%s", scenario, doc, what, machine(rep.Machine))
}

// machine is the line that says where the figures come from.
func machine(m bench.Machine) string {
	return fmt.Sprintf("%s, %d cores, Linux %s, %s", m.CPU, m.Cores, m.Kernel, m.Go)
}

func distinctSizes(rs []bench.Result) []int {
	seen := map[int]bool{}
	var out []int
	for _, r := range rs {
		if !seen[r.Size] {
			seen[r.Size] = true
			out = append(out, r.Size)
		}
	}
	return out
}

// label names a result's series: "shm-spsc spin", "pipe-raw batch 32".
func label(r bench.Result) string {
	l := r.Label()
	if r.Batch > 1 {
		l += fmt.Sprintf(" batch %d", r.Batch)
	}
	return l
}
