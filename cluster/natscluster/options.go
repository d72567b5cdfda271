package natscluster

import (
	"fmt"
	"os"
	"regexp"
	"runtime"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/shmkit/shmkit/process"
)

// Storage says how a stream (the pool's, a Queue's, a Dict's bucket) keeps
// its messages, which is what an acknowledged write is worth:
//
//   - File storage (the default) writes every message to the server's
//     disk before acknowledging it, but the server syncs its files only
//     every sync_interval, 2 minutes by default: an acknowledged write
//     survives a crash or restart of the server process, and may be lost
//     when the machine itself crashes or loses power within the interval,
//     unless the server runs with jetstream { sync_interval: always }
//     (natsserver.Options.SyncAlways) or the stream has 3 replicas.
//   - Memory storage keeps messages in the server's memory only: the
//     fastest, and everything is gone when the server stops.
//   - Replicas > 1 (a cluster of at least that many servers) acknowledge a
//     write once a majority holds it: with 3 replicas a write survives the
//     loss of any one server, memory or file, and the stream keeps working
//     while two of the three live.
type Storage struct {
	Memory   bool // memory storage instead of file storage
	Replicas int  // servers holding each message: 1 when 0; at most 5
}

func (s Storage) apply(c *jetstream.StreamConfig) error {
	if s.Replicas < 0 || s.Replicas > 5 {
		return fmt.Errorf("storage of %d replicas: must be 1..5: %w", s.Replicas, os.ErrInvalid)
	}
	c.Storage = jetstream.FileStorage
	if s.Memory {
		c.Storage = jetstream.MemoryStorage
	}
	c.Replicas = max(s.Replicas, 1)
	return nil
}

// Options configure the executor (NewExecutor) and the workers (Serve):
// every machine runs the same binary, so both sides read the same values.
// The zero value is valid.
type Options struct {
	// Name names the pool: its streams and subjects. Executors and workers
	// of one name share work; letters, digits, '-' and '_' ("default"
	// when "").
	Name    string
	Storage Storage
	// Workers is how many inputs the executor takes to run at once across
	// the cluster: Map sizes its chunks by it and Imap its window
	// (runtime.NumCPU() when 0). It does not start anything: workers are
	// whatever Serve calls run, wherever.
	Workers int
	// QueueSize bounds the chunks an executor has in flight; Submit waits
	// for room (4 × Workers when 0).
	QueueSize int
	// Concurrency is how many chunks one Serve runs at once, each on its
	// own goroutine (runtime.GOMAXPROCS(0) when 0).
	Concurrency int
	// AckWait is how long the server waits for a sign of life from the
	// worker holding a chunk before it hands the chunk to another: a
	// worker acknowledges progress every AckWait/4 while a task runs, so
	// this is how long a dead worker's chunk waits (30 s when 0).
	AckWait time.Duration
	// MaxDeliver is how many times a chunk is handed to a worker that then
	// dies (or loses the server past AckWait) before its inputs fail with
	// ErrDeliveriesExhausted (3 when 0).
	MaxDeliver int
	// Grace is how long a task whose ctx ended has to return before its
	// worker answers for it and moves on, leaving the task's goroutine
	// behind (process.DefaultGrace when 0; a negative value: at once).
	Grace time.Duration
	// ResultsMaxAge is how long results nobody collected (their executor
	// died) stay in the results stream (1 hour when 0).
	ResultsMaxAge time.Duration
}

var validName = regexp.MustCompile(`^[A-Za-z0-9_-]+$`)

func checkName(what, name string) error {
	if !validName.MatchString(name) || len(name) > 64 {
		return fmt.Errorf("%s name %q: must be 1 to 64 letters, digits, '-' or '_': %w", what, name, os.ErrInvalid)
	}
	return nil
}

func (o Options) withDefaults() (Options, error) {
	if o.Name == "" {
		o.Name = "default"
	}
	if err := checkName("pool", o.Name); err != nil {
		return o, err
	}
	if o.Workers < 0 || o.QueueSize < 0 || o.Concurrency < 0 || o.AckWait < 0 || o.MaxDeliver < 0 || o.ResultsMaxAge < 0 {
		return o, fmt.Errorf("pool options %+v: negative: %w", o, os.ErrInvalid)
	}
	if o.Workers == 0 {
		o.Workers = runtime.NumCPU()
	}
	if o.QueueSize == 0 {
		o.QueueSize = 4 * o.Workers
	}
	if o.Concurrency == 0 {
		o.Concurrency = runtime.GOMAXPROCS(0)
	}
	if o.AckWait == 0 {
		o.AckWait = 30 * time.Second
	}
	if o.AckWait < 100*time.Millisecond {
		return o, fmt.Errorf("AckWait %v: at least 100ms: %w", o.AckWait, os.ErrInvalid)
	}
	if o.MaxDeliver == 0 {
		o.MaxDeliver = 3
	}
	switch {
	case o.Grace == 0:
		o.Grace = process.DefaultGrace
	case o.Grace < 0:
		o.Grace = 0
	}
	if o.ResultsMaxAge == 0 {
		o.ResultsMaxAge = time.Hour
	}
	return o, nil
}

// names are a pool's streams and subjects.
type names struct {
	tasks, results       string // streams
	taskSubj, cancelSubj string
	resultPrefix         string // + client id
	consumer             string
}

func poolNames(name string) names {
	return names{
		tasks:        "SHMKIT_POOL_" + name,
		results:      "SHMKIT_POOL_" + name + "_RESULTS",
		taskSubj:     "shmkit.pool." + name + ".tasks",
		cancelSubj:   "shmkit.pool." + name + ".cancel",
		resultPrefix: "shmkit.pool." + name + ".results.",
		consumer:     "workers",
	}
}
