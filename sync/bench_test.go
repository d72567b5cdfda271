package sync_test

import (
	"context"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shmkit/shmkit/internal/testutil"
	"github.com/shmkit/shmkit/internal/testutil/segtest"
	"github.com/shmkit/shmkit/process"
	"github.com/shmkit/shmkit/shm"
	"github.com/shmkit/shmkit/sync"
)

// Control words of a two-process benchmark, each on its own 128 bytes:
// ready (the peer attached), go, stop, and the counter the lock protects.
const (
	ctlReady   = 0
	ctlGo      = 16
	ctlStop    = 32
	ctlCounter = 48
	ctlWords   = 64
)

// Modes of the peer: hammer the lock, or pass it back and forth.
const (
	modeHammer  = 0
	modeHandoff = 1
)

// hammer is the peer process: it locks, increments and unlocks as fast
// as it can between go and stop, and returns how many times it did.
type peerArg struct {
	M    *sync.Mutex
	Ctl  shm.Handle
	Mode int
}

var hammer = process.Register("sync.bench.hammer", func(ctx context.Context, a peerArg) (int, error) {
	w, err := words(a.Ctl)
	if err != nil {
		return 0, err
	}
	atomic.StoreUint64(&w[ctlReady], 1)
	for atomic.LoadUint64(&w[ctlGo]) == 0 {
	}
	n := 0
	for atomic.LoadUint64(&w[ctlStop]) == 0 {
		if err := a.M.Lock(ctx); err != nil {
			return n, err
		}
		// Handoff: act only on odd counts, the peer's turn; the parent
		// acts on even ones. Hammer: act every time.
		if a.Mode == modeHammer || w[ctlCounter]%2 == 1 {
			w[ctlCounter]++
			n++
		}
		a.M.Unlock()
	}
	return n, nil
})

func BenchmarkMutexUncontended(b *testing.B) {
	seg := segtest.New(b)
	m := testutil.Must[*sync.Mutex](b)(sync.NewMutex(seg, "m"))
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		m.Lock(ctx)
		m.Unlock()
	}
}

// BenchmarkMutexContended2Proc: this process and a peer process both lock,
// increment a shared counter and unlock. ns/op is this process's time per
// locked increment; incr/s counts both processes' increments.
func BenchmarkMutexContended2Proc(b *testing.B) { bench2Proc(b, modeHammer) }

// BenchmarkMutexHandoff2Proc: the lock passes back and forth between this
// process and a peer, each taking its turn (a shared counter's parity)
// under the lock. ns/op is one round trip: two handoffs.
func BenchmarkMutexHandoff2Proc(b *testing.B) { bench2Proc(b, modeHandoff) }

func bench2Proc(b *testing.B, mode int) {
	ctx := testutil.Context(b)
	seg := segtest.New(b)
	m := testutil.Must[*sync.Mutex](b)(sync.NewMutex(seg, "m"))
	ctl := testutil.Must[*shm.Object](b)(seg.Alloc("ctl", ctlWords*8, 128))
	w := testutil.Must[[]uint64](b)(words(ctl.Handle()))
	type result struct {
		n   int
		err error
	}
	res := make(chan result, 1)
	go func() {
		n, err := process.Run(ctx, hammer, peerArg{m, ctl.Handle(), mode})
		res <- result{n, err}
	}()
	for atomic.LoadUint64(&w[ctlReady]) == 0 {
		time.Sleep(100 * time.Microsecond)
	}
	b.ResetTimer()
	start := time.Now()
	atomic.StoreUint64(&w[ctlGo], 1)
	for i := 0; i < b.N; {
		if err := m.Lock(ctx); err != nil {
			b.Fatal(err)
		}
		if mode == modeHammer || w[ctlCounter]%2 == 0 {
			w[ctlCounter]++
			i++
		}
		m.Unlock()
	}
	atomic.StoreUint64(&w[ctlStop], 1)
	elapsed := time.Since(start)
	b.StopTimer()
	r := <-res
	if r.err != nil {
		b.Fatal(r.err)
	}
	if w[ctlCounter] != uint64(b.N+r.n) {
		b.Fatalf("counter %d, want %d", w[ctlCounter], b.N+r.n)
	}
	if mode == modeHammer {
		b.ReportMetric(float64(b.N+r.n)/elapsed.Seconds(), "incr/s")
		b.ReportMetric(float64(r.n)/float64(b.N+r.n), "peer-share")
	}
}

// BenchmarkMutexWait3Proc: two peer processes hammer the lock while this
// one takes it b.N times, pausing briefly between; it reports how long
// each Lock waited (p50, p99, max): what the starvation guard bounds when
// three processes share two cores.
func BenchmarkMutexWait3Proc(b *testing.B) {
	ctx := testutil.Context(b)
	seg := segtest.New(b)
	m := testutil.Must[*sync.Mutex](b)(sync.NewMutex(seg, "m"))
	ctl := testutil.Must[*shm.Object](b)(seg.Alloc("ctl", ctlWords*8, 128))
	w := testutil.Must[[]uint64](b)(words(ctl.Handle()))
	errs := make(chan error, 2)
	for range 2 {
		go func() {
			_, err := process.Run(ctx, hammer, peerArg{m, ctl.Handle(), modeHammer})
			errs <- err
		}()
	}
	for atomic.LoadUint64(&w[ctlReady]) == 0 {
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
	for range 2 {
		if err := <-errs; err != nil {
			b.Fatal(err)
		}
	}
	slices.Sort(waits)
	q := func(f float64) float64 { return float64(waits[int(f*float64(len(waits)-1))].Nanoseconds()) }
	b.ReportMetric(q(0.5), "p50-ns")
	b.ReportMetric(q(0.99), "p99-ns")
	b.ReportMetric(q(1), "max-ns")
}
