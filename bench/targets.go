package bench

import (
	"fmt"
	"io"
	"text/tabwriter"
)

// The performance targets that the suite's scenarios measure, each
// evaluated on one run's results (never across runs); bench/README.md
// lists them under "Targets", with what each compares (TestTargetsDocumented
// keeps the two lists the same). Where a target holds for either shm
// mode, the better mode is shown and named.

type target struct {
	what string
	goal string
	// eval returns the measured figure, what it was made of, and whether it
	// meets the goal; ok false when the run lacks the results.
	eval func(rs []Result) (v float64, how string, met, ok bool)
}

func find(rs []Result, scenario, transport, mode string, size, batch int) *Result {
	for i := range rs {
		r := &rs[i]
		if r.Scenario == scenario && r.Transport == transport && r.Mode == mode && r.Size == size && max(r.Batch, 1) == batch && !r.Failed {
			return r
		}
	}
	return nil
}

// best returns the result of transport in whichever of modes is fastest by
// speed (higher is better).
func best(rs []Result, scenario, transport string, modes []string, size, batch int, speed func(*Result) float64) *Result {
	var b *Result
	for _, m := range modes {
		if r := find(rs, scenario, transport, m, size, batch); r != nil && (b == nil || speed(r) > speed(b)) {
			b = r
		}
	}
	return b
}

func msgRate(r *Result) float64  { return r.MsgsPerS }
func byteRate(r *Result) float64 { return r.BytesPerS }
func invP50(r *Result) float64 {
	if r.P50Ns <= 0 {
		return 0
	}
	return 1 / r.P50Ns
}

var shmModes = []string{"spin", "blocking", "spin-zerocopy", "blocking-zerocopy"}

// fasterPipe returns the baseline pipe result of a scenario and size.
func fasterPipe(rs []Result, scenario string, size int, speed func(*Result) float64) *Result {
	a, b := find(rs, scenario, "os-pipe", "", size, 1), find(rs, scenario, "pipe-raw", "", size, 1)
	if a == nil || (b != nil && speed(b) > speed(a)) {
		return b
	}
	return a
}

func ratioTarget(what, goal string, atLeast float64, mine, base func(rs []Result) *Result, speed func(*Result) float64) target {
	return target{what: what, goal: goal, eval: func(rs []Result) (float64, string, bool, bool) {
		m, b := mine(rs), base(rs)
		if m == nil || b == nil || speed(b) <= 0 {
			return 0, "", false, false
		}
		v := speed(m) / speed(b)
		return v, label(*m) + " vs " + label(*b), v >= atLeast, true
	}}
}

// bestKernel is the fastest kernel transport (pipes, unix sockets, TCP
// loopback) of a scenario at a size and batch.
func bestKernel(rs []Result, scenario string, size, batch int, speed func(*Result) float64) *Result {
	var b *Result
	for _, t := range []string{"os-pipe", "pipe-raw", "unix-stream", "unix-seqpacket", "tcp-loopback"} {
		if r := find(rs, scenario, t, "", size, batch); r != nil && (b == nil || speed(r) > speed(b)) {
			b = r
		}
	}
	return b
}

// The targets of DESIGN.md's table (issue 14's figures), each a ratio to
// a baseline measured in the same run.
var targets = []target{
	ratioTarget("SPSC 64 B stream / faster pipe", "≥ 10×", 10,
		func(rs []Result) *Result { return best(rs, "stream", "shm-spsc", shmModes, 64, 1, msgRate) },
		func(rs []Result) *Result { return fasterPipe(rs, "stream", 64, msgRate) }, msgRate),
	ratioTarget("SPSC 64 B stream batched / best batched kernel transport", "≥ 4×", 4,
		func(rs []Result) *Result { return best(rs, "stream", "shm-spsc", shmModes, 64, streamBatch, msgRate) },
		func(rs []Result) *Result { return bestKernel(rs, "stream", 64, streamBatch, msgRate) }, msgRate),
	ratioTarget("SPSC 64 B stream / go-chan", "> 1×", 1.0000001,
		func(rs []Result) *Result { return best(rs, "stream", "shm-spsc", shmModes, 64, 1, msgRate) },
		func(rs []Result) *Result { return find(rs, "stream", "go-chan", "", 64, 1) }, msgRate),
	ratioTarget("SPSC 1 MiB stream / memcpy 1 MiB", "≥ 0.9×", 0.9,
		func(rs []Result) *Result { return best(rs, "stream", "shm-spsc", shmModes, 1<<20, 1, byteRate) },
		func(rs []Result) *Result {
			return best(rs, "memcpy", "memcpy", []string{"", "pieces"}, 1<<20, 1, byteRate)
		}, byteRate),
	ratioTarget("SPSC 1 MiB stream / best kernel transport", "> 1×", 1.0000001,
		func(rs []Result) *Result { return best(rs, "stream", "shm-spsc", shmModes, 1<<20, 1, byteRate) },
		func(rs []Result) *Result { return bestKernel(rs, "stream", 1<<20, 1, byteRate) }, byteRate),
	ratioTarget("SPSC spin round trip 8 B: pipe-raw p50 / p50", "≥ 20×", 20,
		func(rs []Result) *Result { return find(rs, "pingpong", "shm-spsc", "spin", 8, 1) },
		func(rs []Result) *Result { return find(rs, "pingpong", "pipe-raw", "", 8, 1) }, invP50),
	ratioTarget("SPSC spin round trip 8 B: cacheline p50 / p50", "≥ 0.77× (within 1.3×)", 1/1.3,
		func(rs []Result) *Result { return find(rs, "pingpong", "shm-spsc", "spin", 8, 1) },
		func(rs []Result) *Result { return find(rs, "pingpong", "cacheline", "", 8, 1) }, invP50),
	ratioTarget("SPSC blocking round trip 8 B: pipe-raw p50 / p50", "≥ 1×", 1,
		func(rs []Result) *Result { return find(rs, "pingpong", "shm-spsc", "blocking", 8, 1) },
		func(rs []Result) *Result { return find(rs, "pingpong", "pipe-raw", "", 8, 1) }, invP50),
	ratioTarget("MPMC fanin 2×2 64 B / faster pipe", "≥ 10×", 10,
		func(rs []Result) *Result { return best(rs, "fanin", "shm-mpmc", shmModes, 64, 1, msgRate) },
		func(rs []Result) *Result { return fasterPipe(rs, "fanin", 64, msgRate) }, msgRate),
	opTarget("Dict get, 2 processes, shm / CPython Manager", "≥ 300×", 300, "dict", "shm-dict", "get"),
	opTarget("Dict set, 2 processes, shm / CPython Manager", "≥ 300×", 300, "dict", "shm-dict", "set"),
	ratioTarget("Dict get over TCP, 1 at a time / bare TCP round trip", "≥ 0.8× (within 1.25×)", 0.8,
		func(rs []Result) *Result { return find(rs, "dict", "tcp-dict", "get", 0, 1) },
		func(rs []Result) *Result { return find(rs, "dict", "tcp-bare", "get", 0, 1) }, msgRate),
	ratioTarget("Dict set over TCP, 1 at a time / bare TCP round trip", "≥ 0.8× (within 1.25×)", 0.8,
		func(rs []Result) *Result { return find(rs, "dict", "tcp-dict", "set", 0, 1) },
		func(rs []Result) *Result { return find(rs, "dict", "tcp-bare", "set", 0, 1) }, msgRate),
	opTarget("Dict get over TCP, 16 pipelined / CPython", "≥ 3×", 3, "dict", "tcp-dict16", "get"),
	opTarget("Dict set over TCP, 16 pipelined / CPython", "≥ 3×", 3, "dict", "tcp-dict16", "set"),
	ratioTarget("Value atomic Add, 2 processes / CPython locked", "≥ 50×", 50,
		func(rs []Result) *Result { return find(rs, "value", "value-int", "add", 0, 1) },
		func(rs []Result) *Result { return find(rs, "value", cpythonMP, "locked", 0, 1) }, msgRate),
	ratioTarget("Value CAS Update, 2 processes / CPython locked", "≥ 20×", 20,
		func(rs []Result) *Result { return find(rs, "value", "value-int", "update", 0, 1) },
		func(rs []Result) *Result { return find(rs, "value", cpythonMP, "locked", 0, 1) }, msgRate),
	ratioTarget("Value locked Update, 2 processes / CPython locked", "≥ 20×", 20,
		func(rs []Result) *Result { return find(rs, "value", "value-locked", "update", 0, 1) },
		func(rs []Result) *Result { return find(rs, "value", cpythonMP, "locked", 0, 1) }, msgRate),
	opTarget("Pool trivial tasks, chunksize 1 / CPython Pool.map", "≥ 20×", 20, "pool-trivial", "process-pool", ""),
	{what: "Pool CPU-bound speedup / goroutines' speedup", goal: "≥ 0.97×", eval: func(rs []Result) (float64, string, bool, bool) {
		// A speedup is over a serial run (goroutines have none of their
		// own: Go's serial row is process-pool's).
		sp := func(tr, serialOf string) (float64, bool) {
			run, serial := find(rs, "pool-cpu", tr, "pool", 0, 1), find(rs, "pool-cpu", serialOf, "serial", 0, 1)
			if run == nil || serial == nil || serial.MsgsPerS <= 0 {
				return 0, false
			}
			return run.MsgsPerS / serial.MsgsPerS, true
		}
		pool, ok := sp("process-pool", "process-pool")
		g, ok2 := sp("goroutines", "process-pool")
		if !ok || !ok2 || g <= 0 {
			return 0, "", false, false
		}
		v := pool / g
		how := "process-pool speedup " + fmtRatio(pool) + " vs goroutines' " + fmtRatio(g)
		if py, ok := sp(cpythonMP, cpythonMP); ok {
			how += " (CPython's " + fmtRatio(py) + ")"
		}
		return v, how, v >= 0.97, true
	}},
	spawnTarget("Start and join a child from a ready spare / CPython Process", "≥ 1.67× (≤ 0.6× its time)", 1/0.6, "spare"),
	spawnTarget("Start and join back to back / CPython Process", "≥ 1×", 1, "burst"),
	opTarget("Start and join a pool of 2 / CPython Pool(2)", "≥ 1× (no slower)", 1, "spawn", "process", "pool"),
}

// spawnTarget compares a spawn mode with CPython's Process start+join.
func spawnTarget(what, goal string, atLeast float64, mode string) target {
	return ratioTarget(what, goal, atLeast,
		func(rs []Result) *Result { return find(rs, "spawn", "process", mode, 0, 1) },
		func(rs []Result) *Result { return find(rs, "spawn", cpythonMP, spawnBaseMode(mode), 0, 1) }, msgRate)
}

// opTarget compares a result of the scenarios without messages with
// CPython's in the same mode (or its only mode), by operations per second.
func opTarget(what, goal string, atLeast float64, scenario, transport, mode string) target {
	return ratioTarget(what, goal, atLeast,
		func(rs []Result) *Result { return find(rs, scenario, transport, mode, 0, 1) },
		func(rs []Result) *Result { return find(rs, scenario, cpythonMP, mode, 0, 1) }, msgRate)
}

// WriteTargets prints the targets (bench/README.md, "Targets") that the
// run has the results for, each with the figure measured and whether it
// is met.
func WriteTargets(w io.Writer, rep Report) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	n := 0
	for _, t := range targets {
		v, how, met, ok := t.eval(rep.Results)
		if !ok {
			continue
		}
		if n == 0 {
			fmt.Fprintln(w, "\ntargets (bench/README.md#targets), from this run:")
			fmt.Fprintln(tw, "target\tgoal\tmeasured\tmet\tcompared")
		}
		n++
		verdict := "no"
		if met {
			verdict = "yes"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", t.what, t.goal, fmtRatio(v), verdict, how)
	}
	tw.Flush()
}
