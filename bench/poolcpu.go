package bench

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"time"

	"github.com/shmkit/shmkit/pool"
	"github.com/shmkit/shmkit/process"
)

// pool-cpu: CPU-bound tasks, fib(25) each, over a pool of runtime.NumCPU()
// workers (mode "pool", pool.Map with its default chunk size) against
// the same tasks run one after another in one process (mode "serial").
// The ratio is the speedup over serial in the same language; CPython's
// (Pool(os.cpu_count()).map against a plain loop) is measured in the same
// run beside it. Every task's result must be fib(25). The pool is started
// and warmed up before the clock.
//
// Transport "goroutines" runs the same tasks over runtime.NumCPU()
// goroutines in one process: no processes, no messages, so its speedup is
// what the machine itself allows at that moment (on a shared 2-core VM,
// often well under 2×); it is compared with Go's serial loop.

const (
	fibN    = 25
	fibWant = 75025
)

var poolCPUScenario = Scenario{
	Name:      "pool-cpu",
	Doc:       fmt.Sprintf("fib(%d) tasks over a pool of runtime.NumCPU() workers, or serially in one process", fibN),
	Kind:      Throughput,
	Baselines: []string{"process-pool", cpythonMP},
	BaselineOf: func(r, b Result) bool {
		return b.Mode == "serial" && (b.Transport == r.Transport || r.Transport == "goroutines" && b.Transport == "process-pool")
	},
	RatioDoc:   "its tasks/s over the same language's serial loop in the same run: the speedup; higher is better",
	Transports: []string{"process-pool", "goroutines", cpythonMP},
	Cases:      poolCPUCases,
	Run:        runPoolCPU,
}

func poolCPUCases(cfg Config) []Case {
	// fib(25) takes about 0.3 ms in Go and 10-20 ms in CPython: Go runs
	// more tasks, so that its timed span is long enough to mean something.
	goOps, pyOps := 1024, 64
	if cfg.Quick {
		goOps, pyOps = 256, 32
	}
	// Each speedup is taken between runs as close in time as the cases
	// allow: Go's serial loop, pool and goroutines back to back, then
	// CPython's pair (the host's speed drifts from second to second).
	to := caseTimeout(cfg)
	return []Case{
		{Scenario: "pool-cpu", Transport: "process-pool", Mode: "serial", Ops: goOps, Timeout: to},
		{Scenario: "pool-cpu", Transport: "process-pool", Mode: "pool", Ops: goOps, Timeout: to},
		{Scenario: "pool-cpu", Transport: "goroutines", Mode: "pool", Ops: goOps, Timeout: to},
		{Scenario: "pool-cpu", Transport: cpythonMP, Mode: "serial", Ops: pyOps, Timeout: to},
		{Scenario: "pool-cpu", Transport: cpythonMP, Mode: "pool", Ops: pyOps, Timeout: to},
	}
}

type fibArg struct {
	N     int
	Wrong bool // test hook: return a wrong answer
}

var fibTask = process.Register("shmkit/bench.fib", func(ctx context.Context, a fibArg) (int, error) {
	return fibCall(a), nil
})

func fibCall(a fibArg) int {
	v := fib(a.N)
	if a.Wrong {
		v++
	}
	return v
}

func fib(n int) int {
	if n < 2 {
		return n
	}
	return fib(n-1) + fib(n-2)
}

func runPoolCPU(ctx context.Context, c Case) Result {
	c.Ops = max(c.Ops, 1)
	r := resultFor(c)
	ctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()
	tasks := make([]fibArg, c.Ops)
	for i := range tasks {
		tasks[i] = fibArg{N: fibN, Wrong: i == c.hooks.Corrupt-1}
	}
	var out []int
	var d time.Duration
	switch {
	case c.Transport == "goroutines":
		out = make([]int, len(tasks))
		n := runtime.NumCPU()
		var wg sync.WaitGroup
		t := time.Now()
		for g := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := g; i < len(tasks); i += n {
					out[i] = fibCall(tasks[i])
				}
			}()
		}
		wg.Wait()
		d = time.Since(t)
		r.Note = fmt.Sprintf("%d goroutines, one process", n)
	case c.Mode == "serial":
		out = make([]int, len(tasks))
		t := time.Now()
		for i, a := range tasks {
			out[i] = fibCall(a)
		}
		d = time.Since(t)
	case c.Mode == "pool":
		n := runtime.NumCPU()
		p, err := pool.New(ctx, pool.Options{Workers: n})
		if err != nil {
			return r.failed(timedOut(ctx, c, err))
		}
		defer p.Terminate()
		warm := make([]fibArg, n)
		for i := range warm {
			warm[i] = fibArg{N: 10}
		}
		if _, err := pool.Map(ctx, p, fibTask, warm, pool.Chunksize(1)); err != nil {
			return r.failed(timedOut(ctx, c, fmt.Errorf("warm-up: %w", err)))
		}
		t := time.Now()
		out, err = pool.Map(ctx, p, fibTask, tasks)
		d = time.Since(t)
		if err != nil {
			return r.failed(timedOut(ctx, c, err))
		}
		p.Close()
		if err := p.Join(ctx); err != nil {
			return r.failed(timedOut(ctx, c, err))
		}
		r.Note = fmt.Sprintf("%d workers", n)
	default:
		return r.failed(fmt.Errorf("unknown mode %q", c.Mode))
	}
	for i, v := range out {
		if v != fibWant {
			return r.failed(fmt.Errorf("wrong result: task %d: fib(%d) = %d, want %d: %w", i, fibN, v, fibWant, ErrCorrupt))
		}
	}
	if len(out) != len(tasks) {
		return r.failed(fmt.Errorf("wrong result: %d results for %d tasks: %w", len(out), len(tasks), ErrCorrupt))
	}
	throughput(&r, c.Ops, 0, d)
	return r
}
