package metrics

import (
	"expvar"
	"fmt"
	"os"

	"github.com/shmkit/shmkit/manager"
	"github.com/shmkit/shmkit/pool"
	"github.com/shmkit/shmkit/ring"
)

// Kinds of Source: the middle word of a metric's name.
const (
	KindRing  = "ring"
	KindQueue = "queue"
	KindDict  = "dict"
	KindPool  = "pool"
)

// Field describes one number of a Source.
type Field struct {
	Name string // snake_case: "messages_in", "len"
	Help string
	// Counter: the number only grows, counted since the object was
	// created (a Prometheus counter, named with "_total"); else a gauge.
	Counter bool
}

// Source is one shared object's Stats as named numbers. Make one with
// Ring, Queue, Dict or Pool; the zero Source has no fields.
type Source struct {
	Kind   string  // KindRing, KindQueue, KindDict, KindPool
	Name   string  // the object's name: expvar's key, Prometheus's "name" label
	Fields []Field // what Values returns, in order
	read   func() []float64
}

// Values reads the object's numbers now, one per field, in Fields' order.
func (s Source) Values() []float64 {
	if s.read == nil {
		return nil
	}
	return s.read()
}

// Map reads the object's numbers now, by field name.
func (s Source) Map() map[string]float64 {
	m := make(map[string]float64, len(s.Fields))
	for i, v := range s.Values() {
		m[s.Fields[i].Name] = v
	}
	return m
}

// Func is the source as an expvar.Func (its Map), for a program that
// publishes under names of its own: expvar.Publish("jobs", src.Func()).
func (s Source) Func() expvar.Func { return func() any { return s.Map() } }

// VarName is the expvar name Publish gives s: "shmkit.<kind>.<name>".
func (s Source) VarName() string { return "shmkit." + s.Kind + "." + s.Name }

// Publish publishes each source in expvar under its VarName. A source
// without a name, or a name expvar already holds (expvar itself would
// panic), is an error wrapping os.ErrInvalid or os.ErrExist, and then
// nothing is published.
func Publish(srcs ...Source) error {
	seen := map[string]bool{}
	for _, s := range srcs {
		n := s.VarName()
		switch {
		case s.Name == "" || s.read == nil:
			return fmt.Errorf("publishing %q: a Source without a name or object: %w", n, os.ErrInvalid)
		case seen[n] || expvar.Get(n) != nil:
			return fmt.Errorf("publishing %q: %w", n, os.ErrExist)
		}
		seen[n] = true
	}
	for _, s := range srcs {
		expvar.Publish(s.VarName(), s.Func())
	}
	return nil
}

// RingStatser is what Ring and Queue read: *ring.Ring, *ring.MPMC,
// *ring.Queue[T], *ring.JoinableQueue[T].
type RingStatser interface{ Stats() ring.Stats }

var ringFields = []Field{
	{"messages_in", "Messages committed, by every process.", true},
	{"messages_out", "Messages taken, by every process.", true},
	{"bytes_in", "Payload bytes committed.", true},
	{"bytes_out", "Payload bytes taken.", true},
	{"full_waits", "Waits for room.", true},
	{"empty_waits", "Waits for data.", true},
	{"sleeps", "Futex sleeps, both sides.", true},
	{"wakes", "Futex wakes issued, both sides.", true},
	{"dead_skipped", "Slots of dead producers skipped or of dead consumers freed.", true},
	{"len", "In use now: bytes for a ring, messages for a queue.", false},
	{"cap", "Capacity: bytes for a ring, slots for a queue.", false},
	{"closed", "1 once the object was closed.", false},
}

func ringValues(s ring.Stats) []float64 {
	closed := 0.0
	if s.Closed {
		closed = 1
	}
	return []float64{
		float64(s.In), float64(s.Out), float64(s.BytesIn), float64(s.BytesOut),
		float64(s.FullWaits), float64(s.EmptyWaits), float64(s.Sleeps), float64(s.Wakes),
		float64(s.DeadSkipped), float64(s.Len), float64(s.Cap), closed,
	}
}

// Ring is the Stats of an SPSC ring (or anything with ring.Stats) called
// name.
func Ring(name string, r RingStatser) Source {
	return Source{Kind: KindRing, Name: name, Fields: ringFields, read: func() []float64 { return ringValues(r.Stats()) }}
}

// Queue is the Stats of an MPMC queue called name: a *ring.MPMC, a
// *ring.Queue[T], or a *ring.JoinableQueue[T], which adds its
// "unfinished" count (Put minus TaskDone).
func Queue(name string, q RingStatser) Source {
	j, ok := q.(interface{ Unfinished() int })
	if !ok {
		return Source{Kind: KindQueue, Name: name, Fields: ringFields, read: func() []float64 { return ringValues(q.Stats()) }}
	}
	fields := append(ringFields[:len(ringFields):len(ringFields)], Field{"unfinished", "Tasks put and not yet marked done (JoinableQueue).", false})
	return Source{Kind: KindQueue, Name: name, Fields: fields, read: func() []float64 {
		return append(ringValues(q.Stats()), float64(j.Unfinished()))
	}}
}

// DictStatser is what Dict reads: *manager.LocalDict (a Manager's Dict,
// the table behind Namespace).
type DictStatser interface{ Stats() manager.Stats }

var dictFields = []Field{
	{"entries", "Keys in the dict.", false},
	{"max_entries", "Keys the table holds at most.", false},
	{"used_bytes", "Bytes of the live entries' blocks.", false},
	{"carved_bytes", "Bytes of the arena ever carved: used, free and leaked blocks.", false},
	{"arena_bytes", "Size of the arena.", false},
}

// Dict is the Stats of a shared-memory dict called name.
func Dict(name string, d DictStatser) Source {
	return Source{Kind: KindDict, Name: name, Fields: dictFields, read: func() []float64 {
		s := d.Stats()
		return []float64{float64(s.Entries), float64(s.MaxEntries), float64(s.UsedBytes), float64(s.CarvedBytes), float64(s.ArenaBytes)}
	}}
}

var poolFields = []Field{
	{"workers", "Worker processes the pool keeps.", false},
	{"workers_running", "Worker slots with a process (a slot whose worker died has none until its replacement starts).", false},
}

// Pool is the state of a worker pool called name: its size and how many
// of its worker slots have a process. (Package pool keeps no task
// counters yet; a Pool after Join still reports its last workers.)
func Pool(name string, p *pool.Pool) Source {
	return Source{Kind: KindPool, Name: name, Fields: poolFields, read: func() []float64 {
		running := 0
		for _, pid := range p.Pids() {
			if pid != 0 {
				running++
			}
		}
		return []float64{float64(p.Workers()), float64(running)}
	}}
}
