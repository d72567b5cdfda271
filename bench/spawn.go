package bench

import (
	"context"
	"debug/elf"
	"fmt"
	"os"
	"time"

	"github.com/shmkit/shmkit/internal/kernel"
	"github.com/shmkit/shmkit/pool"
	"github.com/shmkit/shmkit/process"
)

// spawn: what it costs to start and join. Mode "process": process.Run of a
// task that does nothing (start a child, run it, join it, read its result)
// against CPython's Process(target=f).start(); join() with its default
// start method. Modes "spare" and "burst": the same with spare children
// (process.EnableSpares), both against CPython's "process" case of the
// same run: "spare" times a start and join served by a spare that is
// ready (the replacement is waited for, untimed, between operations: the
// latency a caller sees when its starts are spaced out); "burst" starts
// and joins back to back with spawnBurstSpares spares, enabled inside the
// first timed operation, so every process it uses is started within the
// timing (spares cannot hide the cost of starting processes: only overlap
// it). Mode "pool": pool.New with 2 workers, Close and Join, against
// CPython's Pool(2) started, closed and joined. Each operation is timed on
// its own (p50 beside the mean), after one untimed warm-up. A child is this
// binary re-executed, so its start-up grows with the binary: the note
// gives its size (the plotting library lives in cmd/shmkit-plot, not in
// the shmkit binary, for this reason), and how many starts spares served.
// Checks: each child returns its input; in "spare" each start is served by
// a spare; each pool has 2 distinct live workers before Join and none
// alive after.

const (
	spawnPoolWorkers = 2
	// spawnBurstSpares: spares kept in the burst mode. Back to back, every
	// start costs a whole process's exec, start-up and exit in CPU time,
	// which spares can only spread over the cores: three filled two cores
	// a little better than two (2.34 against 2.62 ms a start and join, and
	// 2.90 against 3.04, interleaved on the 2-core machine).
	spawnBurstSpares = 3
)

var spawnScenario = Scenario{
	Name:       "spawn",
	Doc:        "start and join a child process doing nothing (cold, from a ready spare, back to back with spares), or start and join a pool of 2 workers",
	Kind:       Throughput,
	Baselines:  []string{cpythonMP},
	BaselineOf: func(r, b Result) bool { return b.Mode == spawnBaseMode(r.Mode) },
	RatioDoc:   "its starts/s over CPython's (Process start+join for the process, spare and burst modes; Pool(2) start+close+join for pool; default start method); higher is better: a ratio of 1.67 is 0.6× CPython's time",
	Transports: []string{"process", cpythonMP},
	Cases:      spawnCases,
	Run:        runSpawn,
}

// spawnBaseMode is the CPython mode a spawn mode is compared with.
func spawnBaseMode(mode string) string {
	if mode == "spare" || mode == "burst" {
		return "process"
	}
	return mode
}

func spawnCases(cfg Config) []Case {
	procs, pools := 200, 50
	if cfg.Quick {
		procs, pools = 40, 10
	}
	c := func(transport, mode string, ops int) Case {
		return Case{Scenario: "spawn", Transport: transport, Mode: mode, Ops: ops, Timeout: caseTimeout(cfg)}
	}
	// CPython's Process between the Go modes it is the baseline of.
	return []Case{c("process", "process", procs), c(cpythonMP, "process", procs), c("process", "spare", procs),
		c("process", "burst", procs), c("process", "pool", pools), c(cpythonMP, "pool", pools)}
}

func runSpawn(ctx context.Context, c Case) Result {
	if why := spawnSkip(c); why != "" {
		r := resultFor(c)
		r.Note = "skipped: " + why
		return r
	}
	c.Ops = max(c.Ops, 1)
	r := resultFor(c)
	ctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()
	defer process.StopSpares() // no spare outlives the case
	var once func(i int) error
	before := func(int) error { return nil } // untimed, before each operation
	warm := 0
	switch c.Mode {
	case "process", "spare", "burst":
		once = func(i int) error {
			if c.Mode == "burst" && i == 0 {
				if err := process.EnableSpares(spawnBurstSpares); err != nil {
					return err
				}
			}
			fromSpare, err := spawnOne(ctx, c, i)
			if fromSpare && i >= 0 {
				warm++
			}
			if err == nil && c.Mode == "spare" && i >= 0 && !fromSpare {
				err = fmt.Errorf("start %d was not served by the ready spare", i)
			}
			return err
		}
		if c.Mode == "spare" {
			if err := process.EnableSpares(1); err != nil {
				return r.failed(err)
			}
			before = func(i int) error {
				if i < 0 {
					return nil // the warm-up starts cold, as the first start of a program
				}
				return process.WaitSpares(ctx)
			}
		}
	case "pool":
		once = func(int) error { return poolStartJoin(ctx) }
	default:
		return r.failed(fmt.Errorf("unknown mode %q", c.Mode))
	}
	var lat latencies
	for i := -1; i < c.Ops; i++ { // -1: an untimed warm-up
		if err := before(i); err != nil {
			return r.failed(timedOut(ctx, c, err))
		}
		t := time.Now()
		if err := once(i); err != nil {
			return r.failed(timedOut(ctx, c, err))
		}
		if i >= 0 {
			lat = append(lat, time.Since(t))
		}
	}
	lat.fill(&r)
	r.Note = binaryNote()
	if c.Mode == "burst" {
		r.Note += fmt.Sprintf("; %d of %d starts served by one of %d spares", warm, c.Ops, spawnBurstSpares)
	}
	return r
}

// spawnOne starts and joins one child doing nothing and checks its result:
// process.Start and Wait, so that the start says whether a spare served it.
func spawnOne(ctx context.Context, c Case, i int) (fromSpare bool, err error) {
	in := i
	if i == c.hooks.Corrupt-1 {
		in = -c.hooks.Corrupt // nopTask answers one off
	}
	p, err := process.Start(ctx, nopTask, in, process.WithName("bench-spawn"))
	if err != nil {
		return false, err
	}
	out, err := process.Wait[int](ctx, p)
	if err != nil {
		p.Kill()
		<-p.Done()
		return p.FromSpare(), err
	}
	if out != in {
		return p.FromSpare(), fmt.Errorf("wrong result: child %d returned %d, want %d: %w", i, out, in, ErrCorrupt)
	}
	return p.FromSpare(), nil
}

// spawnSkip says why c cannot run, or "": a pool's start carries no data
// for the Corrupt test hook to corrupt (CPython's runner asks it too).
func spawnSkip(c Case) string {
	if c.Mode == "pool" && c.hooks.Corrupt > 0 {
		return "a pool's start carries no data to corrupt"
	}
	return ""
}

// binaryNote names the size of the binary every child re-executes, and
// whether it is dynamically linked: start-up grows with the size (page
// faults, package initialisation), and a dynamic binary first runs the
// system's loader. A Go binary that links package net (this one does, for
// the socket transports) is dynamic when built with cgo, the default where
// a C compiler is installed; CGO_ENABLED=0 builds a static one, whose
// children started about 1 ms sooner on the project's VM (README, spawn).
func binaryNote() string {
	exe, err := os.Executable()
	if err != nil {
		return ""
	}
	st, err := os.Stat(exe)
	if err != nil {
		return ""
	}
	note := fmt.Sprintf("children re-execute this %.1f MB binary", float64(st.Size())/1e6)
	if dynamic(exe) {
		note += ", dynamically linked (CGO_ENABLED=0 builds a static one)"
	}
	return note
}

// dynamic reports whether the executable at path asks for a program
// interpreter (the dynamic loader); false when it cannot tell.
func dynamic(path string) bool {
	f, err := elf.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return true
		}
	}
	return false
}

// poolStartJoin starts a pool, checks it has its distinct live workers,
// closes and joins it, and checks they are gone.
func poolStartJoin(ctx context.Context) error {
	p, err := pool.New(ctx, pool.Options{Workers: spawnPoolWorkers})
	if err != nil {
		return err
	}
	defer p.Terminate()
	pids := p.Pids()
	if len(pids) != spawnPoolWorkers || pids[0] == pids[1] {
		return fmt.Errorf("wrong result: pool workers %v: %w", pids, ErrCorrupt)
	}
	for _, pid := range pids {
		if alive, err := kernel.ProcessExists(pid); err != nil || !alive {
			return fmt.Errorf("wrong result: pool worker %d not running: %w", pid, ErrCorrupt)
		}
	}
	p.Close()
	if err := p.Join(ctx); err != nil {
		return err
	}
	for _, pid := range pids {
		if alive, err := kernel.ProcessExists(pid); err == nil && alive {
			return fmt.Errorf("pool worker %d still running after Join", pid)
		}
	}
	return nil
}
