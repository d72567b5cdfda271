package value_test

import (
	"context"
	"testing"

	"github.com/shmkit/shmkit/internal/testutil"
	"github.com/shmkit/shmkit/internal/testutil/segtest"
	"github.com/shmkit/shmkit/value"
)

// Single-process micro-benchmarks of the fast paths: one goroutine, no
// other process about.
//
// The cross-process figures — a counter incremented from 2 processes with
// Add or Update, beside CPython's locked multiprocessing.Value in the same
// run, with the count checked exactly — come from package bench: `shmkit
// bench --only value` or `go test -bench Value ./bench`.

func BenchmarkIntAdd(b *testing.B) {
	c := testutil.Must[*value.Int[int64]](b)(value.NewInt[int64](segtest.New(b), "c", 0))
	for b.Loop() {
		c.Add(1)
	}
	if c.Load() != int64(b.N) {
		b.Fatalf("counter %d, want %d", c.Load(), b.N)
	}
}

func BenchmarkIntUpdate(b *testing.B) {
	c := testutil.Must[*value.Int[int64]](b)(value.NewInt[int64](segtest.New(b), "c", 0))
	ctx := context.Background()
	for b.Loop() {
		if err := c.Update(ctx, func(x *int64) { *x++ }); err != nil {
			b.Fatal(err)
		}
	}
	if c.Load() != int64(b.N) {
		b.Fatalf("counter %d, want %d", c.Load(), b.N)
	}
}

// BenchmarkValue: a 128-byte Value stored and loaded (a seqlock write, then
// a read that checks it is not torn).
func BenchmarkValue(b *testing.B) {
	v := testutil.Must[*value.Value[pattern]](b)(value.New(segtest.New(b), "p", makePattern(0)))
	ctx := context.Background()
	b.ReportAllocs()
	i := uint64(0)
	for b.Loop() {
		i++
		if err := v.Store(ctx, makePattern(i)); err != nil {
			b.Fatal(err)
		}
		if x := v.Load(); x.N != i || !x.ok() {
			b.Fatalf("loaded pattern %d (whole: %v) after storing %d", x.N, x.ok(), i)
		}
	}
}
