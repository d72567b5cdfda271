package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/shmkit/shmkit/process"
	"github.com/shmkit/shmkit/shm"
	"github.com/shmkit/shmkit/value"
)

// value: one shared value.Int[int64] incremented by 2 worker processes,
// Ops/2 times each. Mode "add": the lock-free Add(1), one atomic
// instruction; mode "update": Update under the value's own robust lock
// (Python's "with v.get_lock(): v.value += 1"). The final count must be
// exactly Ops. CPython's side: mp.Value('i') incremented under get_lock()
// from 2 processes; both modes are compared with it, since CPython has
// no lock-free counter.

const valueProcs = 2

var valueScenario = Scenario{
	Name:       "value",
	Doc:        "a shared counter incremented from 2 processes: lock-free Add or locked Update",
	Kind:       Throughput,
	Baselines:  []string{cpythonMP},
	RatioDoc:   "its increments/s over CPython's (mp.Value('i') under get_lock(), 2 processes); higher is better",
	Transports: []string{"value-int", cpythonMP},
	Cases:      valueCases,
	Run:        runValue,
}

func valueCases(cfg Config) []Case {
	addOps, updOps, pyOps := 50_000_000, 10_000_000, 1_000_000
	if cfg.Quick {
		addOps, updOps, pyOps = 10_000_000, 2_000_000, 200_000
	}
	return []Case{
		{Scenario: "value", Transport: "value-int", Mode: "add", Ops: addOps, Timeout: caseTimeout(cfg)},
		{Scenario: "value", Transport: "value-int", Mode: "update", Ops: updOps, Timeout: caseTimeout(cfg)},
		{Scenario: "value", Transport: cpythonMP, Mode: "locked", Ops: pyOps, Timeout: caseTimeout(cfg)},
	}
}

type valueArg struct {
	V      *value.Int[int64]
	Ctl    []byte
	N      int
	Locked bool
	Skip   int  // test hook: skip increment number Skip-1
	Hang   bool // test hook: never finish
}

var valueTask = process.Register("shmkit/bench.value", func(ctx context.Context, a valueArg) (int, error) {
	finish, err := crewJoin(ctx, a.Ctl, a.Hang)
	if err != nil {
		return 0, err
	}
	v := a.V
	if a.Locked {
		for i := range a.N {
			if i == a.Skip-1 {
				continue
			}
			if err := v.Update(ctx, func(x *int64) { *x++ }); err != nil {
				return 0, err
			}
		}
	} else {
		for i := range a.N {
			if i != a.Skip-1 {
				v.Add(1)
			}
		}
	}
	if err := finish(); err != nil {
		return 0, err
	}
	return a.N, nil
})

func runValue(ctx context.Context, c Case) Result {
	c.Ops = max(c.Ops, valueProcs)
	r := resultFor(c)
	if c.Mode != "add" && c.Mode != "update" {
		return r.failed(fmt.Errorf("unknown mode %q", c.Mode))
	}
	ctl, release, err := crewCtl()
	if err != nil {
		return r.failed(err)
	}
	defer release()
	seg, err := shm.Anonymous(64<<10, nil)
	if err != nil {
		return r.failed(err)
	}
	defer seg.Close()
	v, err := value.NewInt[int64](seg, "bench-value", 0)
	if err != nil {
		return r.failed(err)
	}
	args := make([]valueArg, valueProcs)
	for i := range args {
		args[i] = valueArg{V: v, Ctl: ctl.handle(), N: splitOps(c.Ops, valueProcs, i), Locked: c.Mode == "update"}
	}
	args[0].Skip, args[1].Hang = c.hooks.Corrupt, c.hooks.Hang
	var d time.Duration
	if d, _, err = runCrew(ctx, c, ctl, valueTask, args); err != nil {
		return r.failed(err)
	}
	if got := v.Load(); got != int64(c.Ops) {
		return r.failed(errCount("the value", got, int64(c.Ops)))
	}
	throughput(&r, c.Ops, 0, d)
	return r
}
