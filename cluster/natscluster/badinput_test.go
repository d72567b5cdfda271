package natscluster_test

import (
	"context"
	"errors"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/shmkit/shmkit/cluster/natscluster"
	"github.com/shmkit/shmkit/cluster/natsserver"
	"github.com/shmkit/shmkit/internal/testutil"
	"github.com/shmkit/shmkit/internal/testutil/segtest"
	"github.com/shmkit/shmkit/pool"
	"github.com/shmkit/shmkit/process"
	"github.com/shmkit/shmkit/ring"
	"github.com/shmkit/shmkit/shm"
)

var (
	length  = process.Register("natscluster_test.len", func(ctx context.Context, b []byte) (int, error) { return len(b), nil })
	bigResp = process.Register("natscluster_test.big", func(ctx context.Context, n int) ([]byte, error) { return make([]byte, n), nil })
	// withQueue takes an argument that carries a shared-memory queue.
	withQueue  = process.Register("natscluster_test.withQueue", func(ctx context.Context, a queueArg) (int, error) { return a.N, nil })
	withHandle = process.Register("natscluster_test.withHandle", func(ctx context.Context, h shm.Handle) (int, error) { return 0, nil })
)

type queueArg struct {
	Q *ring.Queue[int]
	N int
}

// TestBadInput: what cannot cross machines, or cannot fit, is refused with
// an error that says so, before anything runs.
func TestBadInput(t *testing.T) {
	ctx := testutil.Context(t)
	s := startServer(t, natsserver.Options{MaxPayload: 64 << 10})
	_, js := connect(t, ctx, s.URL())
	opts := testOpts()
	startWorkers(t, ctx, s.URL(), opts, 1, t.TempDir())
	e := newExecutor(t, ctx, js, opts)

	t.Run("oversized input", func(t *testing.T) {
		_, err := pool.Map(ctx, e, length, [][]byte{{1}, make([]byte, 100<<10)})
		if !errors.Is(err, nats.ErrMaxPayload) || !strings.Contains(err.Error(), "input 1") {
			t.Fatalf("Map with an input over max_payload: %v", err)
		}
	})
	t.Run("oversized result", func(t *testing.T) {
		_, err := pool.Apply(ctx, e, bigResp, 100<<10)
		var te *pool.TaskError
		if !errors.As(err, &te) || !strings.Contains(te.Message, "max_payload") {
			t.Fatalf("Apply with a result over max_payload: %v", err)
		}
	})
	t.Run("large chunk split", func(t *testing.T) {
		in := make([][]byte, 20)
		for i := range in {
			in[i] = make([]byte, 10<<10+i) // 20 × 10 KiB: more than one message
		}
		got, err := pool.Map(ctx, e, length, in, pool.Chunksize(20))
		if err != nil {
			t.Fatal(err)
		}
		for i, n := range got {
			if n != 10<<10+i {
				t.Fatalf("input %d: length %d", i, n)
			}
		}
	})
	t.Run("shared memory", func(t *testing.T) {
		seg := segtest.New(t)
		q, err := ring.NewQueue[int](seg, "q", nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := pool.Apply(ctx, e, withQueue, queueArg{Q: q, N: 1}); !errors.Is(err, natscluster.ErrSharedMemory) {
			t.Fatalf("Apply with a queue in its argument: %v", err)
		}
		if _, err := pool.Apply(ctx, e, withHandle, q.Handle()); !errors.Is(err, natscluster.ErrSharedMemory) {
			t.Fatalf("Apply with a handle as its argument: %v", err)
		}
		if r, err := pool.Apply(ctx, e, withQueue, queueArg{N: 2}); err != nil || r != 2 {
			t.Fatalf("Apply with no queue: %v, %v", r, err)
		}
		if !natscluster.CarriesHandle(append([]byte("xxSKH1"), must(q.Handle().MarshalBinary())...)) || natscluster.CarriesHandle([]byte("SKH1 but no handle after it, just text")) {
			t.Fatal("the handle scan is wrong")
		}
	})
	t.Run("options", func(t *testing.T) {
		for _, o := range []natscluster.Options{{Name: "a.b"}, {Name: "a*"}, {AckWait: time.Millisecond}, {Workers: -1}, {Storage: natscluster.Storage{Replicas: 6}}} {
			if _, err := natscluster.NewExecutor(ctx, js, o); !errors.Is(err, os.ErrInvalid) {
				t.Errorf("NewExecutor(%+v): %v, want os.ErrInvalid", o, err)
			}
		}
	})
	t.Run("wrong credentials", func(t *testing.T) {
		sa := startServer(t, natsserver.Options{User: "shmkit", Password: "right"})
		_, _, err := natscluster.Connect(ctx, sa.URL(), nats.UserInfo("shmkit", "wrong"), nats.MaxReconnects(0))
		if !errors.Is(err, nats.ErrAuthorization) || !strings.Contains(err.Error(), sa.URL()) {
			t.Fatalf("Connect with a wrong password: %v", err)
		}
		nc, _, err := natscluster.Connect(ctx, sa.URL(), nats.UserInfo("shmkit", "right"))
		if err != nil {
			t.Fatalf("Connect with the right password: %v", err)
		}
		nc.Close()
	})
	t.Run("no server", func(t *testing.T) {
		_, _, err := natscluster.Connect(ctx, "nats://127.0.0.1:1", nats.MaxReconnects(0), nats.Timeout(time.Second))
		if !errors.Is(err, nats.ErrNoServers) {
			t.Fatalf("Connect to nothing: %v", err)
		}
	})
}

// TestServerVanishes: the server goes away for good while a Map waits;
// once the connection gives up, the Map fails with an error naming the
// closed connection instead of waiting for its ctx.
func TestServerVanishes(t *testing.T) {
	ctx := testutil.Context(t)
	s, err := natsserver.Start(natsserver.Options{StoreDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Shutdown()
	nc, js := connect(t, ctx, s.URL(), nats.MaxReconnects(2), nats.ReconnectWait(50*time.Millisecond))
	e := newExecutor(t, ctx, js, testOpts()) // and no worker: the Map waits
	res := make(chan error, 1)
	go func() { _, err := pool.Map(ctx, e, square, []int{1, 2, 3}); res <- err }()
	time.Sleep(100 * time.Millisecond)
	s.Shutdown()
	start := time.Now()
	err = <-res
	if !errors.Is(err, nats.ErrConnectionClosed) || time.Since(start) > 10*time.Second {
		t.Fatalf("Map when the server vanished: %v after %v", err, time.Since(start))
	}
	t.Logf("failed %v after the server went: %v", time.Since(start).Round(time.Millisecond), err)
	if !nc.IsClosed() {
		t.Fatal("the connection is not closed")
	}
	if _, err := pool.Map(ctx, e, square, []int{1}); !errors.Is(err, nats.ErrConnectionClosed) {
		t.Fatalf("Map after the connection closed: %v", err)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}
