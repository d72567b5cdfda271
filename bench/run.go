package bench

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"
)

// Options select a run.
type Options struct {
	Config
	Only       []string // scenario names; nil = all
	Transports []string // transport names; nil = all
	// Progress, when set, is called before each case and after it, from
	// the goroutine that called Run.
	Progress func(p Progress)
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
	if o.Rounds < 0 {
		return fmt.Errorf("rounds %d: must be at least 1 (0: the default)", o.Rounds)
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
			c.Pin = o.Pin && (c.Scenario == "pingpong" || c.Scenario == "stream") && runner(c.Transport, c.Scenario) == nil
			out = append(out, c)
		}
	}
	return out
}

// Run measures every case o selects, one at a time, in Rounds interleaved
// rounds, and returns the report with each case's median result and the
// baselines and ratios filled in. A case that fails is a result with a
// note. Run fails on bad options, before anything runs, and when ctx ends
// before the last case: then it stops at once (the case under way is
// dropped, its peers are killed by their context), and returns the report
// of the cases that ran with an *InterruptedError saying what did not.
func Run(ctx context.Context, o Options) (Report, error) {
	if err := o.Validate(); err != nil {
		return Report{}, err
	}
	rep := Report{Machine: ThisMachine()}
	plan := o.Plan()
	rounds := o.Rounds
	if rounds <= 0 {
		rounds = 3
		if o.Quick {
			rounds = 1
		}
	}
	got := make([][]Result, len(plan))
	total := rounds * len(plan)
	est := &estimator{start: time.Now(), first: make([]time.Duration, len(plan)), n: len(plan)}
	progress := func(done, round, i int, r *Result) {
		if o.Progress == nil {
			return
		}
		next := i // the next case to run, for the estimate
		if r != nil {
			next++
		}
		o.Progress(Progress{Done: done, Total: total, Round: round, Case: plan[i], Result: r,
			Elapsed: time.Since(est.start), Left: est.left(done, total, round, next)})
	}
	for round := range rounds {
		for i, c := range plan {
			done := round*len(plan) + i
			if err := ctx.Err(); err != nil {
				return partial(rep, plan, got), errInterrupted(err, plan, got, total)
			}
			progress(done, round, i, nil)
			start := time.Now()
			r := RunCase(ctx, c)
			if err := ctx.Err(); err != nil { // r is the interruption's, not the case's
				return partial(rep, plan, got), errInterrupted(err, plan, got, total)
			}
			if round == 0 {
				est.first[i] = time.Since(start)
			}
			got[i] = append(got[i], r)
			progress(done+1, round, i, &r)
		}
	}
	return partial(rep, plan, got), nil
}

// partial fills rep with the median of each case measured, in plan's
// order, compared with their baselines.
func partial(rep Report, plan []Case, got [][]Result) Report {
	for i, c := range plan {
		if len(got[i]) == 0 {
			continue
		}
		s, _ := Lookup(c.Scenario)
		rep.Results = append(rep.Results, median(got[i], s.Kind))
	}
	Compare(rep.Results)
	return rep
}

// median returns the result of median speed among rs's successful rounds,
// noting how many rounds there were and how many failed.
func median(rs []Result, k Kind) Result {
	if len(rs) == 1 {
		return rs[0]
	}
	var ok []Result
	var failed []string
	for _, r := range rs {
		if r.Failed {
			failed = append(failed, r.Note)
		} else {
			ok = append(ok, r)
		}
	}
	if len(ok) == 0 {
		r := rs[0]
		r.Note = fmt.Sprintf("%s (all %d rounds failed)", r.Note, len(rs))
		return r
	}
	sort.SliceStable(ok, func(i, j int) bool { return ok[i].speed(k) < ok[j].speed(k) })
	r := ok[len(ok)/2]
	note := fmt.Sprintf("median of %d rounds", len(ok))
	if len(failed) > 0 {
		note = fmt.Sprintf("median of %d rounds; %d of %d failed: %s", len(ok), len(failed), len(rs), failed[0])
	}
	if r.Note != "" {
		note = r.Note + "; " + note
	}
	r.Note = note
	return r
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
	ensurePattern(c.Size)
	run := s.Run
	if t := runner(c.Transport, c.Scenario); t != nil {
		run = t.run // another runtime doing the scenario (cpython-mp)
	}
	r := run(ctx, c)
	if c.Pin && !r.Failed && r.Note == "" {
		r.Note = "pinned"
	}
	return r
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
			if s.BaselineOf != nil && !s.BaselineOf(*r, b) {
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
