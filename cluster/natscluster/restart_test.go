package natscluster_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/shmkit/shmkit/cluster/natscluster"
	"github.com/shmkit/shmkit/cluster/natsserver"
	"github.com/shmkit/shmkit/internal/testutil"
	"github.com/shmkit/shmkit/pool"
)

// mapSlow runs slow over 0..n-1 and checks every result.
func mapSlow(t *testing.T, ctx context.Context, e pool.Executor, n int) {
	t.Helper()
	in := make([]int, n)
	for i := range in {
		in[i] = i
	}
	got, err := pool.Map(ctx, e, slow, in, pool.Chunksize(4))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(got, in) {
		t.Fatalf("Map = %v", got)
	}
}

// TestServerRestartMidMap: the only server stops in the middle of a Map
// and starts again from its store; the workers and the executor
// reconnect, the chunks in flight run again, and the Map completes with
// every result.
func TestServerRestartMidMap(t *testing.T) {
	ctx := testutil.Context(t)
	s := startServer(t, natsserver.Options{})
	_, js := connect(t, ctx, s.URL())
	opts := testOpts()
	startWorkers(t, ctx, s.URL(), opts, 2, t.TempDir())
	e := newExecutor(t, ctx, js, opts)

	restarted := make(chan time.Duration, 1)
	time.AfterFunc(300*time.Millisecond, func() {
		start := time.Now()
		s.Shutdown()
		time.Sleep(100 * time.Millisecond)
		s2, err := s.Restart()
		if err != nil {
			t.Error(err)
			restarted <- 0
			return
		}
		t.Cleanup(s2.Shutdown)
		restarted <- time.Since(start)
	})
	start := time.Now()
	mapSlow(t, ctx, e, 200) // 50 chunks of 4 × 20 ms over 4 goroutines: about 1 s
	t.Logf("Map of 200 took %v across a server restart (down %v)", time.Since(start).Round(time.Millisecond), (<-restarted).Round(time.Millisecond))
}

// TestClusterFailover: three servers, the pool's streams on all three; the
// leader of the work stream is shut down in the middle of a Map, the
// other two elect another, and the Map completes.
func TestClusterFailover(t *testing.T) {
	if testing.Short() {
		t.Skip("a three-server cluster takes a few seconds to elect its leaders")
	}
	ctx := testutil.Context(t)
	servers, err := natsserver.StartCluster(3, t.TempDir(), natsserver.Options{})
	if err != nil {
		t.Fatal(err)
	}
	url := ""
	for _, s := range servers {
		t.Cleanup(s.Shutdown)
		if url != "" {
			url += ","
		}
		url += s.URL()
	}
	_, js := connect(t, ctx, url)
	opts := testOpts()
	opts.Storage.Replicas = 3
	start := time.Now()
	e := newExecutor(t, ctx, js, opts) // waits for the cluster's leaders
	t.Logf("cluster ready in %v", time.Since(start).Round(time.Millisecond))
	startWorkers(t, ctx, url, opts, 2, t.TempDir())
	mapSlow(t, ctx, e, 8) // the workers are up

	stream, err := js.Stream(ctx, "SHMKIT_POOL_default")
	if err != nil {
		t.Fatal(err)
	}
	leader := streamLeader(t, ctx, stream)
	var lost time.Duration
	time.AfterFunc(200*time.Millisecond, func() {
		for _, s := range servers {
			if s.Name() == leader {
				t0 := time.Now()
				s.Shutdown()
				lost = time.Since(t0)
			}
		}
	})
	start = time.Now()
	mapSlow(t, ctx, e, 200)
	t.Logf("Map of 200 took %v; the work stream's leader %s was shut down (%v) and %s took over",
		time.Since(start).Round(time.Millisecond), leader, lost.Round(time.Millisecond), streamLeader(t, ctx, stream))
}

func streamLeader(t *testing.T, ctx context.Context, s jetstream.Stream) string {
	t.Helper()
	for {
		info, err := s.Info(ctx)
		if err == nil && info.Cluster != nil && info.Cluster.Leader != "" {
			return info.Cluster.Leader
		}
		if ctx.Err() != nil {
			t.Fatalf("no leader: %v", err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

var _ = natscluster.Options{}
