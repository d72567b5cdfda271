//go:build nats

package bench

import (
	"context"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/shmkit/shmkit/cluster/natscluster"
	"github.com/shmkit/shmkit/cluster/natsserver"
	"github.com/shmkit/shmkit/manager"
	"github.com/shmkit/shmkit/pool"
	"github.com/shmkit/shmkit/process"
	"golang.org/x/sync/errgroup"
)

// nats-pool and nats-kv: pool-trivial and dict past one machine, over NATS
// JetStream (package cluster/natscluster), so that the cost of leaving
// shared memory is a row beside it and CPython's in the same run. The case
// starts a NATS server inside the parent (natsserver, memory storage, on
// 127.0.0.1): one machine, so the figures are the protocol's and the
// server's cost without a network's latency, a floor for a real cluster.
//
//   - nats-pool: pool-trivial's Map(Chunksize(1)) of nopTask through a
//     natscluster.Executor, over 2 worker processes each running
//     natscluster.Serve with Concurrency 1 (as a local pool's 2 workers):
//     each task is a message to the work stream, pulled by a worker, and a
//     result message back. Every result must be its input.
//   - nats-kv: dict's body (dictLoop) over a natscluster.Dict on a
//     key-value bucket, from 2 worker processes, each with its own
//     connection, one request at a time (as tcp-dict). The same checks:
//     every get reads its key's pattern message, and after the sets every
//     key holds the last message written to it.
//
// They are transports that run whole cases (transport.run), as cpython-mp:
// the scenarios' bodies know nothing of them.
//
// Built only with -tags nats (nats_off.go stands in otherwise, skipping
// them with a note): the NATS server is 20 MB of code and 2 ms of
// package initialisation, which every bench peer, the re-executed shmkit
// binary, would pay at each start (the spawn rows).

// natsBuilt: this build runs the NATS rows.
const natsBuilt = true

var (
	_ = addTransport(&transport{name: natsPool, run: runNATS, runs: []string{"pool-trivial"}})
	_ = addTransport(&transport{name: natsKV, run: runNATS, runs: []string{"dict"}})
)

// natsNote is every NATS result's note: where the server was.
const natsNote = "embedded NATS server in the parent, memory storage, loopback"

func runNATS(ctx context.Context, c Case) Result {
	r := resultFor(c)
	ctx, cancel := context.WithTimeout(ctx, c.Timeout)
	defer cancel()
	srv, err := natsserver.Start(natsserver.Options{})
	if err != nil {
		return r.failed(err)
	}
	defer srv.Shutdown()
	switch c.Scenario {
	case "pool-trivial":
		r = runNATSPool(ctx, c, srv.URL())
	case "dict":
		r = runNATSDict(ctx, c, srv.URL())
	default:
		return r.failed(fmt.Errorf("%s does not run %s", c.Transport, c.Scenario))
	}
	if !r.Failed {
		r.Note = natsNote
	}
	return r
}

// natsWorkerArg is a nats-pool worker process's argument.
type natsWorkerArg struct {
	URL  string
	Opts natscluster.Options
}

// natsWorkerTask serves the bench's pool until its process is stopped.
var natsWorkerTask = process.Register("shmkit/bench.natsworker", func(ctx context.Context, a natsWorkerArg) (struct{}, error) {
	nc, js, err := natscluster.Connect(ctx, a.URL)
	if err != nil {
		return struct{}{}, err
	}
	defer nc.Close()
	return struct{}{}, natscluster.Serve(ctx, js, a.Opts)
})

func runNATSPool(ctx context.Context, c Case, url string) Result {
	c.Ops = max(c.Ops, 1)
	r := resultFor(c)
	nc, js, err := natscluster.Connect(ctx, url)
	if err != nil {
		return r.failed(err)
	}
	defer nc.Close()
	opts := natscluster.Options{Name: "bench", Storage: natscluster.Storage{Memory: true}, Workers: poolTrivialWorkers, Concurrency: 1}
	e, err := natscluster.NewExecutor(ctx, js, opts)
	if err != nil {
		return r.failed(err)
	}
	defer e.Terminate() // a no-op after Join
	var workers []*process.Process
	defer func() {
		for _, w := range workers {
			w.Terminate()
			w.Join(context.Background())
		}
	}()
	for i := range poolTrivialWorkers {
		w, err := process.Start(ctx, natsWorkerTask, natsWorkerArg{URL: url, Opts: opts}, process.WithName(fmt.Sprintf("bench-nats-worker-%d", i)))
		if err != nil {
			return r.failed(err)
		}
		workers = append(workers, w)
	}
	if _, err := pool.Map(ctx, e, nopTask, inputs(20, 0), pool.Chunksize(1)); err != nil {
		return r.failed(timedOut(ctx, c, fmt.Errorf("warm-up: %w", err)))
	}
	in := inputs(c.Ops, c.hooks.Corrupt)
	t := time.Now()
	out, err := pool.Map(ctx, e, nopTask, in, pool.Chunksize(1))
	d := time.Since(t)
	if err != nil {
		return r.failed(timedOut(ctx, c, err))
	}
	if err := e.Join(ctx); err != nil {
		return r.failed(timedOut(ctx, c, err))
	}
	if err := sameInts(out, in); err != nil {
		return r.failed(err)
	}
	throughput(&r, c.Ops, 0, d)
	return r
}

// natsDictArg is a nats-kv worker's argument.
type natsDictArg struct {
	URL     string
	Ctl     []byte
	Set     bool
	W, N    int
	Corrupt bool
	Hang    bool
}

var natsDictTask = process.Register("shmkit/bench.natsdict", func(ctx context.Context, a natsDictArg) (int, error) {
	nc, js, err := natscluster.Connect(ctx, a.URL)
	if err != nil {
		return 0, err
	}
	defer nc.Close()
	d, err := natscluster.NewDict(ctx, js, "bench", nil)
	if err != nil {
		return 0, err
	}
	defer d.Close()
	keys := make([]string, dictKeys)
	for k := range keys {
		keys[k] = dictKeyName(k)
	}
	finish, err := crewJoin(ctx, a.Ctl, a.Hang)
	if err != nil {
		return 0, err
	}
	if err := dictLoop(ctx, d, dictArg{Set: a.Set, Corrupt: a.Corrupt}, keys, a.W, dictProcs, a.N); err != nil {
		return 0, err
	}
	if err := finish(); err != nil {
		return 0, err
	}
	return a.N, nil
})

func runNATSDict(ctx context.Context, c Case, url string) Result {
	c.Ops = max(c.Ops, dictProcs)
	r := resultFor(c)
	if c.Mode != "get" && c.Mode != "set" {
		return r.failed(fmt.Errorf("unknown mode %q", c.Mode))
	}
	ctl, release, err := crewCtl()
	if err != nil {
		return r.failed(err)
	}
	defer release()
	nc, js, err := natscluster.Connect(ctx, url, nats.Name("bench parent"))
	if err != nil {
		return r.failed(err)
	}
	defer nc.Close()
	d, err := natscluster.NewDict(ctx, js, "bench", &natscluster.DictOptions{Storage: natscluster.Storage{Memory: true}})
	if err != nil {
		return r.failed(err)
	}
	defer d.Close()
	// The keys' values, set in parallel: 1024 round trips one at a time
	// would be most of a quick case's time.
	val := make([]byte, dictValue)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(32)
	for k := range dictKeys {
		fill(val, uint64(k))
		if c.Mode == "get" && c.hooks.Corrupt > 0 && k == dictKey(0, dictProcs, 0) {
			flip(val) // the first read of lane 0
		}
		v := append([]byte(nil), val...)
		g.Go(func() error { return d.Set(gctx, dictKeyName(k), v) })
	}
	if err := g.Wait(); err != nil {
		return r.failed(err)
	}
	args := make([]natsDictArg, dictProcs)
	check := make([]dictArg, dictProcs) // what checkDictSets reads
	for w := range args {
		args[w] = natsDictArg{URL: url, Ctl: ctl.handle(), Set: c.Mode == "set", W: w, N: splitOps(c.Ops, dictProcs, w)}
		check[w] = dictArg{W: w, N: args[w].N, Goroutines: 1}
	}
	args[0].Corrupt = c.Mode == "set" && c.hooks.Corrupt > 0
	args[1].Hang = c.hooks.Hang
	dur, _, err := runCrew(ctx, c, ctl, natsDictTask, args)
	if err != nil {
		return r.failed(err)
	}
	if c.Mode == "set" {
		if err := checkDictSets(ctx, d, check); err != nil {
			return r.failed(err)
		}
	}
	throughput(&r, c.Ops, 0, dur)
	return r
}

var _ manager.Dict = (*natscluster.Dict)(nil)
