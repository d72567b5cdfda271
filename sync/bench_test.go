package sync_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"

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

// hammer is the peer process: it locks, increments and unlocks as fast
// as it can between go and stop, and returns how many times it did.
var hammer = process.Register("sync.bench.hammer", func(ctx context.Context, a struct {
	M   *sync.Mutex
	Ctl shm.Handle
}) (int, error) {
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
		w[ctlCounter]++
		a.M.Unlock()
		n++
	}
	return n, nil
})

func BenchmarkMutexUncontended(b *testing.B) {
	seg := newSeg(b)
	m := must[*sync.Mutex](b)(sync.NewMutex(seg, "m"))
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
func BenchmarkMutexContended2Proc(b *testing.B) {
	ctx, cancel := context.WithTimeout(context.Background(), testTimeout)
	defer cancel()
	seg := newSeg(b)
	m := must[*sync.Mutex](b)(sync.NewMutex(seg, "m"))
	ctl := must[*shm.Object](b)(seg.Alloc("ctl", ctlWords*8, 128))
	w := must[[]uint64](b)(words(ctl.Handle()))
	type result struct {
		n   int
		err error
	}
	res := make(chan result, 1)
	go func() {
		n, err := process.Run(ctx, hammer, struct {
			M   *sync.Mutex
			Ctl shm.Handle
		}{m, ctl.Handle()})
		res <- result{n, err}
	}()
	for atomic.LoadUint64(&w[ctlReady]) == 0 {
		time.Sleep(100 * time.Microsecond)
	}
	b.ResetTimer()
	start := time.Now()
	atomic.StoreUint64(&w[ctlGo], 1)
	for range b.N {
		if err := m.Lock(ctx); err != nil {
			b.Fatal(err)
		}
		w[ctlCounter]++
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
	b.ReportMetric(float64(b.N+r.n)/elapsed.Seconds(), "incr/s")
	b.ReportMetric(float64(r.n)/float64(b.N+r.n), "peer-share")
}
