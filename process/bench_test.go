package process_test

import (
	"context"
	"testing"

	"github.com/shmkit/shmkit/process"
)

var nop = process.Register("bench.nop", func(ctx context.Context, x int) (int, error) { return x, nil })

// BenchmarkSpawn: start a child and join it (Python: Process start+join).
func BenchmarkSpawn(b *testing.B) {
	ctx := context.Background()
	for b.Loop() {
		if _, err := process.Run(ctx, nop, 1); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkSpawnSpare: start and join a child served by a ready spare
// (the replacement is waited for outside the timing).
func BenchmarkSpawnSpare(b *testing.B) {
	ctx := context.Background()
	if err := process.EnableSpares(1); err != nil {
		b.Fatal(err)
	}
	defer process.StopSpares()
	for b.Loop() {
		b.StopTimer()
		if err := process.WaitSpares(ctx); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		p, err := process.Start(ctx, nop, 1)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := process.Wait[int](ctx, p); err != nil || !p.FromSpare() {
			b.Fatal(err, p.FromSpare())
		}
	}
}

// BenchmarkSpawnBurst: start and join back to back with 2 spares, whose
// replacements overlap the next starts.
func BenchmarkSpawnBurst(b *testing.B) {
	ctx := context.Background()
	if err := process.EnableSpares(2); err != nil {
		b.Fatal(err)
	}
	defer process.StopSpares()
	for b.Loop() {
		if _, err := process.Run(ctx, nop, 1); err != nil {
			b.Fatal(err)
		}
	}
}
