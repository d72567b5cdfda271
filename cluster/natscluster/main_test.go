package natscluster_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/shmkit/shmkit/cluster/natscluster"
	"github.com/shmkit/shmkit/cluster/natsserver"
	"github.com/shmkit/shmkit/internal/testutil/leak"
	"github.com/shmkit/shmkit/internal/testutil/proctest"
	"github.com/shmkit/shmkit/process"
)

func TestMain(m *testing.M) {
	process.Main() // a worker is this test binary re-executed
	os.Exit(leak.Main(m))
}

// The tasks the tests run, registered as a user's would be.
var (
	square   = process.Register("natscluster_test.square", func(ctx context.Context, x int) (int, error) { return x * x, nil })
	errQuota = process.RegisterError(errors.New("over quota"))
	failIf   = process.Register("natscluster_test.fail", func(ctx context.Context, x int) (int, error) {
		if x == 5 {
			return 0, fmt.Errorf("job %d: %w", x, errQuota)
		}
		if x%3 == 1 {
			return 0, fmt.Errorf("input %d fails", x)
		}
		if x%3 == 2 {
			panic(fmt.Sprintf("input %d panics", x))
		}
		return x, nil
	})
	// slow records that it started (a file in $NATSTEST_DIR named
	// input-pid) then sleeps 20 ms, and returns its input.
	slow = process.Register("natscluster_test.slow", func(ctx context.Context, x int) (int, error) {
		if dir := os.Getenv("NATSTEST_DIR"); dir != "" {
			os.WriteFile(filepath.Join(dir, fmt.Sprintf("%d-%d", x, os.Getpid())), nil, 0o600)
		}
		select {
		case <-time.After(20 * time.Millisecond):
			return x, nil
		case <-ctx.Done():
			return 0, ctx.Err()
		}
	})
	// crash kills its worker process.
	crash = process.Register("natscluster_test.crash", func(ctx context.Context, x int) (int, error) {
		syscall.Kill(os.Getpid(), syscall.SIGKILL)
		select {}
	})
	// block waits for its ctx to end, then records why in $NATSTEST_DIR.
	block = process.Register("natscluster_test.block", func(ctx context.Context, x int) (int, error) {
		<-ctx.Done()
		if dir := os.Getenv("NATSTEST_DIR"); dir != "" {
			os.WriteFile(filepath.Join(dir, "cancelled-"+strconv.Itoa(x)), []byte(context.Cause(ctx).Error()), 0o600)
		}
		return 0, ctx.Err()
	})
)

type workerArg struct {
	URL  string
	Opts natscluster.Options
}

// workerTask is a worker process: it connects and serves until stopped.
var workerTask = process.Register("natscluster_test.worker", func(ctx context.Context, a workerArg) (struct{}, error) {
	nc, js, err := natscluster.Connect(ctx, a.URL, nats.MaxReconnects(-1), nats.ReconnectWait(20*time.Millisecond))
	if err != nil {
		return struct{}{}, err
	}
	defer nc.Close()
	return struct{}{}, natscluster.Serve(ctx, js, a.Opts)
})

// startServer starts an embedded server with its store in a temporary
// directory, shut down at cleanup.
func startServer(t *testing.T, opts natsserver.Options) *natsserver.Server {
	t.Helper()
	if opts.StoreDir == "" {
		opts.StoreDir = t.TempDir()
	}
	s, err := natsserver.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Shutdown)
	return s
}

// connect connects to url, closed at cleanup.
func connect(t *testing.T, ctx context.Context, url string, opts ...nats.Option) (*nats.Conn, jetstream.JetStream) {
	t.Helper()
	opts = append([]nats.Option{nats.MaxReconnects(-1), nats.ReconnectWait(20 * time.Millisecond)}, opts...)
	nc, js, err := natscluster.Connect(ctx, url, opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(nc.Close)
	return nc, js
}

// startWorkers starts n worker processes (killed and reaped at cleanup),
// with $NATSTEST_DIR set to dir.
func startWorkers(t *testing.T, ctx context.Context, url string, opts natscluster.Options, n int, dir string) []*process.Process {
	t.Helper()
	var ps []*process.Process
	for i := range n {
		ps = append(ps, proctest.Start(t, ctx, workerTask, workerArg{URL: url, Opts: opts},
			process.WithName(fmt.Sprintf("nats-worker-%d", i)), process.WithEnv("NATSTEST_DIR="+dir)))
	}
	return ps
}

// newExecutor makes an executor, terminated at cleanup.
func newExecutor(t *testing.T, ctx context.Context, js jetstream.JetStream, opts natscluster.Options) *natscluster.Executor {
	t.Helper()
	e, err := natscluster.NewExecutor(ctx, js, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Terminate)
	return e
}

// testOpts are quick to redeliver: a killed worker's chunk moves after 1 s.
func testOpts() natscluster.Options {
	return natscluster.Options{Workers: 2, Concurrency: 2, AckWait: time.Second, MaxDeliver: 2, Grace: 500 * time.Millisecond}
}
