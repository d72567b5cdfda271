package value_test

import (
	"context"
	"sync/atomic"
	"testing"
	"time"
	"unsafe"

	"github.com/shmkit/shmkit/internal/testutil"
	"github.com/shmkit/shmkit/internal/testutil/segtest"
	"github.com/shmkit/shmkit/process"
	"github.com/shmkit/shmkit/shm"
	"github.com/shmkit/shmkit/value"
)

// Control words of a two-process benchmark, 128 bytes apart: ready (the
// peer attached), go, stop.
const (
	ctlReady = 0
	ctlGo    = 16
	ctlStop  = 32
	ctlWords = 48
)

type peerArg struct {
	C      *value.Int[int64]
	Ctl    shm.Handle
	Locked bool
}

// incrementer is the peer process: it increments between go and stop,
// with Add or with Update (a compare-and-swap loop), and returns how many
// times.
var incrementer = process.Register("value.bench.incr", func(ctx context.Context, a peerArg) (int, error) {
	o, err := shm.Attach(a.Ctl, shm.KindBytes, 0)
	if err != nil {
		return 0, err
	}
	w := ctlView(o)
	atomic.StoreUint64(&w[ctlReady], 1)
	for atomic.LoadUint64(&w[ctlGo]) == 0 {
	}
	n := 0
	for atomic.LoadUint64(&w[ctlStop]) == 0 {
		if err := incr(ctx, a.C, a.Locked); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
})

func ctlView(o *shm.Object) []uint64 {
	b := o.Bytes()
	return unsafe.Slice((*uint64)(unsafe.Pointer(&b[0])), len(b)/8)
}

func incr(ctx context.Context, c *value.Int[int64], locked bool) error {
	if !locked {
		c.Add(1)
		return nil
	}
	return c.Update(ctx, func(x *int64) { *x++ })
}

func BenchmarkIntAdd(b *testing.B) {
	c := testutil.Must[*value.Int[int64]](b)(value.NewInt[int64](segtest.New(b), "c", 0))
	for b.Loop() {
		c.Add(1)
	}
}

func BenchmarkIntUpdate(b *testing.B) {
	c := testutil.Must[*value.Int[int64]](b)(value.NewInt[int64](segtest.New(b), "c", 0))
	ctx := context.Background()
	for b.Loop() {
		c.Update(ctx, func(x *int64) { *x++ })
	}
}

// BenchmarkIntAdd2Proc and BenchmarkIntUpdate2Proc: this process and a peer
// process increment one counter with Add, or with Update (Python's
// "with v.get_lock(): v.value += 1", as a compare-and-swap loop). incr/s counts both
// processes' increments; compare it with testdata/mp_value_baseline.py run
// at the same time.
func BenchmarkIntAdd2Proc(b *testing.B)    { bench2Proc(b, false) }
func BenchmarkIntUpdate2Proc(b *testing.B) { bench2Proc(b, true) }

func bench2Proc(b *testing.B, locked bool) {
	ctx := testutil.Context(b)
	seg := segtest.New(b)
	c := testutil.Must[*value.Int[int64]](b)(value.NewInt[int64](seg, "c", 0))
	ctl := testutil.Must[*shm.Object](b)(seg.Alloc("ctl", ctlWords*8, 128))
	w := ctlView(ctl)
	type result struct {
		n   int
		err error
	}
	res := make(chan result, 1)
	go func() {
		n, err := process.Run(ctx, incrementer, peerArg{c, ctl.Handle(), locked})
		res <- result{n, err}
	}()
	for atomic.LoadUint64(&w[ctlReady]) == 0 {
		time.Sleep(100 * time.Microsecond)
	}
	b.ResetTimer()
	start := time.Now()
	atomic.StoreUint64(&w[ctlGo], 1)
	for range b.N {
		if err := incr(ctx, c, locked); err != nil {
			b.Fatal(err)
		}
	}
	atomic.StoreUint64(&w[ctlStop], 1)
	elapsed := time.Since(start)
	b.StopTimer()
	r := <-res
	if r.err != nil {
		b.Fatal(r.err)
	}
	if got := c.Load(); got != int64(b.N+r.n) {
		b.Fatalf("counter %d, want %d", got, b.N+r.n)
	}
	b.ReportMetric(float64(b.N+r.n)/elapsed.Seconds(), "incr/s")
}
