package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/shmkit/shmkit/process"
	"github.com/shmkit/shmkit/shm"
	"github.com/shmkit/shmkit/value"
)

// value: one shared counter incremented by 2 worker processes, Ops/2 times
// each; the final count must be exactly Ops. Transport "value-int" is a
// value.Int[int64]: mode "add" is the lock-free Add(1), one atomic
// instruction; mode "update" is Update(func(x) { *x++ }), a
// compare-and-swap loop (lock-free too: load, fn, CAS, again if another
// process got in between), exact against concurrent Adds. Transport
// "value-locked" is a value.Value[int64], whose Update runs under the
// value's own robust lock (mode "update"): the same shape as Python's
// "with v.get_lock(): v.value += 1". CPython's side: mp.Value('i')
// incremented under get_lock() from 2 processes; every row is compared
// with it, since CPython has neither a lock-free counter nor an update
// without the lock.

const valueProcs = 2

var valueScenario = Scenario{
	Name:       "value",
	Doc:        "a shared counter incremented from 2 processes: lock-free Add, compare-and-swap Update, or Update under the value's lock",
	Kind:       Throughput,
	Baselines:  []string{cpythonMP},
	RatioDoc:   "its increments/s over CPython's (mp.Value('i') under get_lock(), 2 processes); higher is better",
	Transports: []string{"value-int", "value-locked", cpythonMP},
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
		{Scenario: "value", Transport: "value-locked", Mode: "update", Ops: updOps, Timeout: caseTimeout(cfg)},
		{Scenario: "value", Transport: cpythonMP, Mode: "locked", Ops: pyOps, Timeout: caseTimeout(cfg)},
	}
}

type valueArg struct {
	V      *value.Int[int64]   // value-int
	L      *value.Value[int64] // value-locked
	Ctl    []byte
	N      int
	Update bool
	Skip   int  // test hook: skip increment number Skip-1
	Hang   bool // test hook: never finish
}

var valueTask = process.Register("shmkit/bench.value", func(ctx context.Context, a valueArg) (int, error) {
	finish, err := crewJoin(ctx, a.Ctl, a.Hang)
	if err != nil {
		return 0, err
	}
	incr := func(x *int64) { *x++ }
	switch v, l := a.V, a.L; {
	case l != nil:
		for i := range a.N {
			if i == a.Skip-1 {
				continue
			}
			if err := l.Update(ctx, incr); err != nil {
				return 0, err
			}
		}
	case a.Update:
		for i := range a.N {
			if i == a.Skip-1 {
				continue
			}
			if err := v.Update(ctx, incr); err != nil {
				return 0, err
			}
		}
	default:
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
	args := make([]valueArg, valueProcs)
	for i := range args {
		args[i] = valueArg{Ctl: ctl.handle(), N: splitOps(c.Ops, valueProcs, i), Update: c.Mode == "update"}
	}
	var load func() int64
	if c.Transport == "value-locked" {
		if c.Mode != "update" {
			return r.failed(fmt.Errorf("unknown mode %q", c.Mode))
		}
		l, err := value.New[int64](seg, "bench-value", 0)
		if err != nil {
			return r.failed(err)
		}
		load = l.Load
		for i := range args {
			args[i].L = l
		}
	} else {
		v, err := value.NewInt[int64](seg, "bench-value", 0)
		if err != nil {
			return r.failed(err)
		}
		load = v.Load
		for i := range args {
			args[i].V = v
		}
	}
	args[0].Skip, args[1].Hang = c.hooks.Corrupt, c.hooks.Hang
	var d time.Duration
	if d, _, err = runCrew(ctx, c, ctl, valueTask, args); err != nil {
		return r.failed(err)
	}
	if got := load(); got != int64(c.Ops) {
		return r.failed(errCount("the value", got, int64(c.Ops)))
	}
	throughput(&r, c.Ops, 0, d)
	return r
}
