package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/shmkit/shmkit/pool"
	"github.com/shmkit/shmkit/process"
)

// pool-trivial: the per-task overhead of a pool, with tasks that do
// nothing, dispatched one at a time: pool.Map over a pool of 2 workers
// with Chunksize(1), against CPython's Pool(2).map(f, range(n),
// chunksize=1). The pool is started (and warmed by a few tasks) before the
// clock and closed after it. Every result must be its input. nats-pool
// (nats.go) is the same Map over NATS JetStream's workers.

const poolTrivialWorkers = 2

var poolTrivialScenario = Scenario{
	Name:       "pool-trivial",
	Doc:        "per-task overhead: Map of tasks that do nothing over a pool of 2 workers, chunksize 1",
	Kind:       Throughput,
	Baselines:  []string{cpythonMP},
	RatioDoc:   "its tasks/s over CPython's Pool(2).map(f, range(n), chunksize=1): its overhead per task divided into CPython's; higher is better",
	Transports: []string{"process-pool", natsPool, cpythonMP},
	Cases:      poolTrivialCases,
	Run:        runPoolTrivial,
}

func poolTrivialCases(cfg Config) []Case {
	goOps, pyOps := 200_000, 20_000
	if cfg.Quick {
		goOps, pyOps = 40_000, 4_000
	}
	return []Case{
		{Scenario: "pool-trivial", Transport: "process-pool", Ops: goOps, Timeout: caseTimeout(cfg)},
		{Scenario: "pool-trivial", Transport: natsPool, Ops: goOps / 10, Timeout: caseTimeout(cfg)},
		{Scenario: "pool-trivial", Transport: cpythonMP, Ops: pyOps, Timeout: caseTimeout(cfg)},
	}
}

// nopTask does nothing and returns its input; a negative input (the test
// hook) comes back one off.
var nopTask = process.Register("shmkit/bench.nop", func(ctx context.Context, x int) (int, error) {
	if x < 0 {
		return x + 1, nil
	}
	return x, nil
})

// inputs returns 0..n-1, with input number corrupt-1 made negative (the
// test hook) when corrupt > 0.
func inputs(n, corrupt int) []int {
	in := make([]int, n)
	for i := range in {
		in[i] = i
	}
	if corrupt > 0 && corrupt <= n {
		in[corrupt-1] = -corrupt
	}
	return in
}

func runPoolTrivial(ctx context.Context, c Case) Result {
	c.Ops = max(c.Ops, 1)
	r := resultFor(c)
	ctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()
	p, err := pool.New(ctx, pool.Options{Workers: poolTrivialWorkers})
	if err != nil {
		return r.failed(timedOut(ctx, c, err))
	}
	defer p.Terminate() // a no-op after Join; kills the workers on a failure
	if _, err := pool.Map(ctx, p, nopTask, inputs(20, 0), pool.Chunksize(1)); err != nil {
		return r.failed(timedOut(ctx, c, fmt.Errorf("warm-up: %w", err)))
	}
	in := inputs(c.Ops, c.hooks.Corrupt)
	t := time.Now()
	out, err := pool.Map(ctx, p, nopTask, in, pool.Chunksize(1))
	d := time.Since(t)
	if err != nil {
		return r.failed(timedOut(ctx, c, err))
	}
	p.Close()
	if err := p.Join(ctx); err != nil {
		return r.failed(timedOut(ctx, c, err))
	}
	if err := sameInts(out, in); err != nil {
		return r.failed(err)
	}
	throughput(&r, c.Ops, 0, d)
	return r
}

// sameInts checks that each task returned its input.
func sameInts(out, in []int) error {
	if len(out) != len(in) {
		return fmt.Errorf("wrong result: %d results for %d tasks: %w", len(out), len(in), ErrCorrupt)
	}
	for i := range in {
		if out[i] != in[i] {
			return fmt.Errorf("wrong result: task %d returned %d, want %d: %w", i, out[i], in[i], ErrCorrupt)
		}
	}
	return nil
}

// timedOut says the case hung when its context's deadline is what ended it.
func timedOut(ctx context.Context, c Case, err error) error {
	if ctx.Err() == context.DeadlineExceeded {
		return fmt.Errorf("hung or too slow: not done within %v; workers killed", c.Timeout)
	}
	return err
}
