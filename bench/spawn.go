package bench

import (
	"context"
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
// start method. Mode "pool": pool.New with 2 workers, Close and Join,
// against CPython's Pool(2) started, closed and joined. Each operation is
// timed on its own (p50 beside the mean), after one untimed warm-up. A
// child is this binary re-executed, so its start-up grows with the binary:
// the note gives its size (the plotting library lives in cmd/shmkit-plot,
// not in the shmkit binary, for this reason).
// Checks: each child returns its input; each pool has 2 distinct live
// workers before Join and none alive after.

const spawnPoolWorkers = 2

var spawnScenario = Scenario{
	Name:       "spawn",
	Doc:        "start and join a child process doing nothing, or start and join a pool of 2 workers",
	Kind:       Throughput,
	Baselines:  []string{cpythonMP},
	BaselineOf: sameMode,
	RatioDoc:   "its starts/s over CPython's in the same mode (Process start+join, or Pool(2) start+close+join; default start method); higher is better",
	Transports: []string{"process", cpythonMP},
	Cases:      spawnCases,
	Run:        runSpawn,
}

func spawnCases(cfg Config) []Case {
	procs, pools := 200, 50
	if cfg.Quick {
		procs, pools = 40, 10
	}
	var out []Case
	for _, m := range []struct {
		mode string
		ops  int
	}{{"process", procs}, {"pool", pools}} {
		out = append(out,
			Case{Scenario: "spawn", Transport: "process", Mode: m.mode, Ops: m.ops, Timeout: caseTimeout(cfg)},
			Case{Scenario: "spawn", Transport: cpythonMP, Mode: m.mode, Ops: m.ops, Timeout: caseTimeout(cfg)})
	}
	return out
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
	var once func(i int) error
	switch c.Mode {
	case "process":
		once = func(i int) error {
			in := i
			if i == c.hooks.Corrupt-1 {
				in = -c.hooks.Corrupt // nopTask answers one off
			}
			out, err := process.Run(ctx, nopTask, in, process.WithName("bench-spawn"))
			if err != nil {
				return err
			}
			if out != in {
				return fmt.Errorf("wrong result: child %d returned %d, want %d: %w", i, out, in, ErrCorrupt)
			}
			return nil
		}
	case "pool":
		once = func(int) error { return poolStartJoin(ctx) }
	default:
		return r.failed(fmt.Errorf("unknown mode %q", c.Mode))
	}
	var lat latencies
	for i := -1; i < c.Ops; i++ { // -1: an untimed warm-up
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
	return r
}

// spawnSkip says why c cannot run, or "": a pool's start carries no data
// for the Corrupt test hook to corrupt (CPython's runner asks it too).
func spawnSkip(c Case) string {
	if c.Mode == "pool" && c.hooks.Corrupt > 0 {
		return "a pool's start carries no data to corrupt"
	}
	return ""
}

// binaryNote names the size of the binary every child re-executes: start-up
// grows with it (page faults, package initialisation), so a small program
// starts its children faster than a large one.
func binaryNote() string {
	exe, err := os.Executable()
	if err != nil {
		return ""
	}
	st, err := os.Stat(exe)
	if err != nil {
		return ""
	}
	return fmt.Sprintf("children re-execute this %.1f MB binary", float64(st.Size())/1e6)
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
