package sync_test

import (
	"context"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shmkit/shmkit/internal/testutil"
	"github.com/shmkit/shmkit/internal/testutil/proctest"
	"github.com/shmkit/shmkit/internal/testutil/segtest"
	"github.com/shmkit/shmkit/process"
	"github.com/shmkit/shmkit/shm"
	"github.com/shmkit/shmkit/sync"
)

// Single-process micro-benchmarks of the fast paths: a lock taken and
// released by one goroutine, with no other process about.
//
// The cross-process figures — a mutex guarding a counter from 2 processes,
// contended and not, beside CPython's multiprocessing.Lock in the same run,
// with the count checked exactly — come from package bench: `shmkit bench
// --only lock` or `go test -bench Lock ./bench`. The one cross-process
// benchmark here, BenchmarkMutexWait3Proc, measures what bench does not:
// how long a Lock waits while two other processes hammer the mutex.

func BenchmarkMutexUncontended(b *testing.B) {
	m := testutil.Must[*sync.Mutex](b)(sync.NewMutex(segtest.New(b), "m"))
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := m.Lock(ctx); err != nil {
			b.Fatal(err)
		}
		if err := m.Unlock(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRWMutexReadUncontended(b *testing.B) {
	rw := testutil.Must[*sync.RWMutex](b)(sync.NewRWMutex(segtest.New(b), "rw"))
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := rw.RLock(ctx); err != nil {
			b.Fatal(err)
		}
		if err := rw.RUnlock(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkSemaphoreUncontended(b *testing.B) {
	s := testutil.Must[*sync.Semaphore](b)(sync.NewBoundedSemaphore(segtest.New(b), "s", 1))
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		if err := s.Acquire(ctx); err != nil {
			b.Fatal(err)
		}
		if err := s.Release(); err != nil {
			b.Fatal(err)
		}
	}
}

// Control words of BenchmarkMutexWait3Proc, each on its own 128 bytes:
// ready (peers attached), go, stop, and the counter the lock protects.
const (
	ctlReady   = 0
	ctlGo      = 16
	ctlStop    = 32
	ctlCounter = 48
	ctlWords   = 64
)

// hammer is a peer process of BenchmarkMutexWait3Proc: it locks,
// increments and unlocks as fast as it can between go and stop, and
// returns how many times it did.
var hammer = process.Register("sync.bench.hammer", func(ctx context.Context, a struct {
	M   *sync.Mutex
	Ctl shm.Handle
}) (int, error) {
	w, err := words(a.Ctl)
	if err != nil {
		return 0, err
	}
	atomic.AddUint64(&w[ctlReady], 1)
	for atomic.LoadUint64(&w[ctlGo]) == 0 {
	}
	n := 0
	for atomic.LoadUint64(&w[ctlStop]) == 0 {
		if err := a.M.Lock(ctx); err != nil {
			return n, err
		}
		w[ctlCounter]++
		n++
		a.M.Unlock()
	}
	return n, nil
})

// BenchmarkMutexWait3Proc: two peer processes hammer the lock while this
// one takes it b.N times, pausing briefly between; it reports how long
// each Lock waited (p50, p99, max): what the starvation guard bounds when
// three processes share two cores. The counter must come out exact.
func BenchmarkMutexWait3Proc(b *testing.B) {
	ctx := testutil.Context(b)
	seg := segtest.New(b)
	m := testutil.Must[*sync.Mutex](b)(sync.NewMutex(seg, "m"))
	ctl := testutil.Must[*shm.Object](b)(seg.Alloc("ctl", ctlWords*8, 128))
	w := testutil.Must[[]uint64](b)(words(ctl.Handle()))
	arg := struct {
		M   *sync.Mutex
		Ctl shm.Handle
	}{m, ctl.Handle()}
	peers := []*process.Process{proctest.Start(b, ctx, hammer, arg), proctest.Start(b, ctx, hammer, arg)}
	for atomic.LoadUint64(&w[ctlReady]) != uint64(len(peers)) {
		time.Sleep(100 * time.Microsecond)
	}
	waits := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	atomic.StoreUint64(&w[ctlGo], 1)
	for range b.N {
		t0 := time.Now()
		if err := m.Lock(ctx); err != nil {
			b.Fatal(err)
		}
		waits = append(waits, time.Since(t0))
		w[ctlCounter]++
		m.Unlock()
		for range 100 { // let the peers in
			atomic.LoadUint64(&w[ctlReady])
		}
	}
	atomic.StoreUint64(&w[ctlStop], 1)
	b.StopTimer()
	total := b.N
	for _, p := range peers {
		n, err := process.Wait[int](ctx, p)
		if err != nil {
			b.Fatal(err)
		}
		total += n
	}
	if w[ctlCounter] != uint64(total) {
		b.Fatalf("counter %d, want %d", w[ctlCounter], total)
	}
	slices.Sort(waits)
	q := func(f float64) float64 { return float64(waits[int(f*float64(len(waits)-1))].Nanoseconds()) }
	b.ReportMetric(q(0.5), "p50-ns")
	b.ReportMetric(q(0.99), "p99-ns")
	b.ReportMetric(q(1), "max-ns")
}
