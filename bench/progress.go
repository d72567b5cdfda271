package bench

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Progress is where a run stands, handed to Options.Progress before each
// case (Result nil) and after it.
type Progress struct {
	Done, Total int // cases finished so far, and in all (every round's)
	Round       int // 0-based
	Case        Case
	Result      *Result // the case's result, after it ran; nil before
	Elapsed     time.Duration
	// Left estimates the time still to run: in the first round, the mean
	// time of the cases done so far for each case to go; in later rounds,
	// each remaining case's own time in the first. 0 before any case ended.
	Left time.Duration
}

// Summary is a result's headline figure in one phrase, as a progress line
// shows it: "p50 331 ns, p99 431 ns", "10.99 M msgs/s, 703.29 MB/s",
// "43.88 M ops/s", or "FAILED: …".
func (r Result) Summary() string {
	switch {
	case r.Failed:
		return r.Note
	case r.P50Ns > 0 && r.P99Ns > 0:
		return fmt.Sprintf("p50 %s, p99 %s", fmtNs(r.P50Ns), fmtNs(r.P99Ns))
	case r.BytesPerS > 0:
		return fmt.Sprintf("%s, %s", rateOf(r.MsgsPerS, "msgs"), fmtRate(r.BytesPerS, "B"))
	case r.MsgsPerS > 0:
		return rateOf(r.MsgsPerS, "ops")
	}
	return "no figures"
}

// rateOf writes a rate of things: "10.99 M msgs/s", "53 ops/s".
func rateOf(v float64, things string) string {
	return strings.TrimSpace(strings.TrimSuffix(fmtRate(v, ""), "/s")) + " " + things + "/s"
}

// Name is the case as a progress line names it: "stream shm-spsc-spin
// 64 B ×32", "lock shm-mutex-contended".
func (c Case) Name() string {
	s := c.Scenario + " " + c.TransportLabel()
	if c.Size > 0 {
		s += " " + fmtSize(c.Size)
	}
	if c.Batch > 1 {
		s += fmt.Sprintf(" ×%d", c.Batch)
	}
	return s
}

// InterruptedError is Run's error when its context ended before every
// case ran. Run still returns the report of the cases that did run.
type InterruptedError struct {
	Ran, Total int      // cases measured to the end (every round's), of Total
	Complete   []string // scenarios with every case measured at least once
	Partly     []string // the others with some measured: "stream (4 of 60 cases)"
	Skipped    []string // scenarios with no case measured
	Err        error    // the context's
}

func (e *InterruptedError) Error() string { return "interrupted: " + e.Summary() }

// Summary says what ran and what did not: "12 of 97 cases ran; complete:
// pingpong; partly: stream (4 of 60 cases); skipped: fanin, memcpy".
func (e *InterruptedError) Summary() string {
	s := fmt.Sprintf("%d of %d cases ran", e.Ran, e.Total)
	for _, part := range []struct {
		what  string
		names []string
	}{{"complete", e.Complete}, {"partly", e.Partly}, {"skipped", e.Skipped}} {
		if len(part.names) > 0 {
			s += "; " + part.what + ": " + strings.Join(part.names, ", ")
		}
	}
	return s
}

func (e *InterruptedError) Unwrap() error { return e.Err }

// errInterrupted builds the error of a run stopped with got (each case's
// results so far) of plan.
func errInterrupted(err error, plan []Case, got [][]Result, total int) *InterruptedError {
	e := &InterruptedError{Total: total, Err: err}
	type count struct{ cases, measured int }
	counts := map[string]*count{}
	var order []string
	for i, c := range plan {
		e.Ran += len(got[i])
		n := counts[c.Scenario]
		if n == nil {
			n = &count{}
			counts[c.Scenario] = n
			order = append(order, c.Scenario)
		}
		n.cases++
		if len(got[i]) > 0 {
			n.measured++
		}
	}
	for _, s := range order {
		switch n := counts[s]; {
		case n.measured == n.cases:
			e.Complete = append(e.Complete, s)
		case n.measured > 0:
			e.Partly = append(e.Partly, fmt.Sprintf("%s (%d of %d cases)", s, n.measured, n.cases))
		default:
			e.Skipped = append(e.Skipped, s)
		}
	}
	return e
}

// Interrupted returns err as Run's InterruptedError, or nil.
func Interrupted(err error) *InterruptedError {
	var e *InterruptedError
	if errors.As(err, &e) {
		return e
	}
	return nil
}

// estimator keeps the times that Progress.Left is estimated from.
type estimator struct {
	start time.Time
	first []time.Duration // each case's time in the first round
	n     int             // cases in a round
}

// left estimates the time to run after done of total cases, the next
// being case i of round round.
func (e *estimator) left(done, total, round, i int) time.Duration {
	if done == 0 {
		return 0
	}
	if round == 0 {
		per := time.Since(e.start) / time.Duration(done)
		return per * time.Duration(total-done)
	}
	var d time.Duration
	for j := i; j < e.n; j++ {
		d += e.first[j]
	}
	var all time.Duration
	for _, f := range e.first {
		all += f
	}
	rounds := total / e.n
	return d + all*time.Duration(rounds-round-1)
}
