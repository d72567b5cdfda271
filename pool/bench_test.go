package pool_test

import (
	"context"
	"testing"
	"time"

	"github.com/shmkit/shmkit/pool"
	"github.com/shmkit/shmkit/process"
)

var nop = process.Register("bench.nop", func(ctx context.Context, x int) (int, error) { return x, nil })

// BenchmarkPoolStart: a pool of 2 workers ready, then joined.
func BenchmarkPoolStart(b *testing.B) {
	ctx := context.Background()
	for b.Loop() {
		p, err := pool.New(ctx, pool.Options{Workers: 2})
		if err != nil {
			b.Fatal(err)
		}
		if err := p.Join(ctx); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPoolTrivial: per-task overhead, one task per dispatch
// (Python: Pool(2).map(f, range(n), chunksize=1)).
func BenchmarkPoolTrivial(b *testing.B) {
	ctx := context.Background()
	p := newPool(b, pool.Options{Workers: 2})
	in := make([]int, b.N)
	b.ReportAllocs()
	b.ResetTimer()
	out, err := pool.Map(ctx, p, nop, in, pool.Chunksize(1))
	if err != nil || len(out) != b.N {
		b.Fatal(err)
	}
}

// BenchmarkPoolCPU: 64 × fib(25) on the pool against the same serially in
// this process; reports the speedup.
func BenchmarkPoolCPU(b *testing.B) {
	ctx := context.Background()
	p := newPool(b, pool.Options{})
	in := make([]int, 64)
	for i := range in {
		in[i] = 25
	}
	var serial, pooled time.Duration
	for b.Loop() {
		t0 := time.Now()
		for _, n := range in {
			fib.Call(ctx, n)
		}
		t1 := time.Now()
		if _, err := pool.Map(ctx, p, fib, in, pool.Chunksize(1)); err != nil {
			b.Fatal(err)
		}
		serial += t1.Sub(t0)
		pooled += time.Since(t1)
	}
	b.ReportMetric(float64(serial)/float64(pooled), "speedup")
	b.ReportMetric(float64(p.Workers()), "workers")
}
