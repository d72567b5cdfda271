package bench

import (
	"context"
	"fmt"
	"slices"
	"strings"
)

// Options select a run.
type Options struct {
	Config
	Only       []string // scenario names; nil = all
	Transports []string // transport names; nil = all
	// Progress, when set, is called before each case with its position.
	Progress func(i, n int, c Case)
}

// Validate checks names and sizes before anything runs.
func (o Options) Validate() error {
	for _, n := range o.Only {
		if _, ok := Lookup(n); !ok {
			return fmt.Errorf("unknown scenario %q (have %s)", n, strings.Join(scenarioNames(), ", "))
		}
	}
	known := TransportNames()
	for _, t := range o.Transports {
		if !slices.Contains(known, t) {
			return fmt.Errorf("unknown transport %q (have %s)", t, strings.Join(known, ", "))
		}
	}
	for _, s := range o.Sizes {
		if s < MinSize || s > MaxSize {
			return errSize(s)
		}
	}
	return nil
}

func scenarioNames() []string {
	var out []string
	for _, s := range Scenarios() {
		out = append(out, s.Name)
	}
	return out
}

// Plan returns the cases a run of o would measure, in order.
func (o Options) Plan() []Case {
	var out []Case
	for _, s := range Scenarios() {
		if len(o.Only) > 0 && !slices.Contains(o.Only, s.Name) {
			continue
		}
		for _, c := range s.Cases(o.Config) {
			if len(o.Transports) > 0 && !slices.Contains(o.Transports, c.Transport) {
				continue
			}
			if o.MaxOps > 0 {
				c.Ops = min(c.Ops, o.MaxOps)
			}
			out = append(out, c)
		}
	}
	return out
}

// Run measures every case o selects, one at a time, and returns the report
// with baselines and ratios filled in. A case that fails is a result with a
// note; Run itself fails only on bad options.
func Run(ctx context.Context, o Options) (Report, error) {
	if err := o.Validate(); err != nil {
		return Report{}, err
	}
	rep := Report{Machine: ThisMachine()}
	plan := o.Plan()
	for i, c := range plan {
		if o.Progress != nil {
			o.Progress(i, len(plan), c)
		}
		if err := ctx.Err(); err != nil {
			r := resultFor(c).failed(err)
			rep.Results = append(rep.Results, r)
			continue
		}
		rep.Results = append(rep.Results, RunCase(ctx, c))
	}
	Compare(rep.Results)
	return rep, nil
}

// RunCase measures one case.
func RunCase(ctx context.Context, c Case) Result {
	s, ok := Lookup(c.Scenario)
	if !ok {
		return resultFor(c).failed(fmt.Errorf("unknown scenario %q", c.Scenario))
	}
	if c.Timeout <= 0 {
		c.Timeout = caseTimeout(Config{})
	}
	return s.Run(ctx, c)
}

// Compare fills in each result's baseline and ratio: the fastest result of
// the scenario's baseline transports at the same size, unbatched, from the
// same results.
func Compare(rs []Result) {
	for i := range rs {
		r := &rs[i]
		s, ok := Lookup(r.Scenario)
		if !ok || len(s.Baselines) == 0 || r.Failed {
			continue
		}
		best, bestSpeed := "", 0.0
		for _, b := range rs {
			if b.Scenario != r.Scenario || b.Size != r.Size || b.Batch > 1 || !slices.Contains(s.Baselines, b.Transport) {
				continue
			}
			if sp := b.speed(s.Kind); sp > bestSpeed {
				best, bestSpeed = b.Transport, sp
			}
		}
		if best == "" {
			continue
		}
		r.Baseline = best
		if sp := r.speed(s.Kind); sp > 0 {
			r.Ratio = sp / bestSpeed
		}
	}
}
