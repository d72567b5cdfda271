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
