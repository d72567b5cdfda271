package bench

import (
	"context"
	"fmt"
	"sort"
	"sync"
	"time"
)

// Case is one measurement: a scenario over one transport, in one mode, at
// one message size and batch. Cases travel to child processes (gob), so
// every field is plain data.
type Case struct {
	Scenario  string
	Transport string
	Mode      string // "spin" or "blocking" for shm transports, else ""
	Size      int    // message bytes; 0 where the scenario has no size
	Batch     int    // messages per send call; 1 unbatched, 0 where meaningless
	Ops       int    // round trips, messages or operations to time
	// Timeout bounds the whole case, children included; a child still
	// running then is killed and the result's note says so.
	Timeout time.Duration
	// Pin binds the two peers' timed loops to two different CPUs
	// (pingpong and stream; see pin.go).
	Pin bool

	hooks testHooks // faults only the package's own tests inject (hooks.go)
}

// Label is the case's name below its scenario: transport[-mode]/size[xbatch],
// or transport[-mode] alone where the scenario has no message size.
func (c Case) Label() string {
	if c.Size == 0 {
		return c.TransportLabel()
	}
	return c.TransportLabel() + "/" + c.SizeLabel()
}

// TransportLabel is the transport with its mode: "shm-spsc-spin".
func (c Case) TransportLabel() string {
	if c.Mode == "" {
		return c.Transport
	}
	return c.Transport + "-" + c.Mode
}

// SizeLabel is the size in bytes, with "x<batch>" when batched: "64x32".
func (c Case) SizeLabel() string {
	s := fmt.Sprint(c.Size)
	if c.Batch > 1 {
		s += fmt.Sprintf("x%d", c.Batch)
	}
	return s
}

// Kind says how a scenario's results compare with their baseline.
type Kind int

const (
	// Latency: compared by p50 round trip (ratio = baseline p50 / p50).
	Latency Kind = iota
	// Throughput: compared by messages or operations per second.
	Throughput
)

// Config selects what a run measures.
type Config struct {
	Quick bool  // fewer operations and sizes: a whole run in about a minute
	Sizes []int // message sizes to run, where a scenario has sizes; nil = its own
	// MaxOps, when > 0, caps every case's operation count (tests, smoke runs).
	MaxOps int
	// Pin binds the peers of pingpong and stream to two different CPUs.
	Pin bool
	// Rounds is how many times Run measures the whole plan, interleaved
	// (all cases once, then all again…), keeping each case's median: the
	// machine's speed drifts, and a ratio is only fair between results
	// taken close together. 0 means 1 with Quick, else 3.
	Rounds int
}

// Scenario is one thing to measure, with one body for all its transports.
type Scenario struct {
	Name string
	Doc  string // one line, shown above its table
	Kind Kind
	// Baselines are the transports whose fastest result (at the same size,
	// unbatched) every result of the scenario is compared with.
	Baselines []string
	// BaselineOf, when set, narrows which results of Baselines' transports
	// may be r's baseline (the fastest of those is): the same mode, say,
	// where each mode is measured against its own CPython counterpart.
	BaselineOf func(r, b Result) bool
	// RatioDoc, when set, explains the ratio above the scenario's table in
	// place of the generic line.
	RatioDoc string
	// Transports lists every transport name the scenario can run, for
	// validating --transports before anything runs.
	Transports []string
	// Cases lists what to measure under cfg.
	Cases func(cfg Config) []Case
	// Run measures one case. A failure is reported in the Result's Note,
	// not by panicking; Run must return by ctx's deadline (c.Timeout).
	Run func(ctx context.Context, c Case) Result
}

var registry = struct {
	sync.Mutex
	m     map[string]*Scenario
	order []string
}{m: map[string]*Scenario{}}

// Register adds a scenario. Packages call it from init; the suite runs
// scenarios in registration order. Registering a name twice panics.
func Register(s Scenario) {
	if s.Name == "" || s.Cases == nil || s.Run == nil {
		panic("bench: Register needs Name, Cases and Run")
	}
	registry.Lock()
	defer registry.Unlock()
	if _, dup := registry.m[s.Name]; dup {
		panic(fmt.Sprintf("bench: scenario %q registered twice", s.Name))
	}
	registry.m[s.Name] = &s
	registry.order = append(registry.order, s.Name)
}

// Scenarios returns every registered scenario in registration order.
func Scenarios() []*Scenario {
	registry.Lock()
	defer registry.Unlock()
	out := make([]*Scenario, 0, len(registry.order))
	for _, n := range registry.order {
		out = append(out, registry.m[n])
	}
	return out
}

// Lookup returns the scenario called name.
func Lookup(name string) (*Scenario, bool) {
	registry.Lock()
	defer registry.Unlock()
	s, ok := registry.m[name]
	return s, ok
}

// TransportNames returns every transport name any scenario can run, sorted.
func TransportNames() []string {
	seen := map[string]bool{}
	for _, s := range Scenarios() {
		for _, t := range s.Transports {
			seen[t] = true
		}
	}
	out := make([]string, 0, len(seen))
	for t := range seen {
		out = append(out, t)
	}
	sort.Strings(out)
	return out
}
