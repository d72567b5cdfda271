package process_test

import (
	"slices"
	"testing"

	"github.com/shmkit/shmkit/pool"
	"github.com/shmkit/shmkit/process"
)

// pool.New starts its workers through Start, so ready spares become its
// workers (their rings, in a segment made after the spares started,
// reach them by SCM_RIGHTS), and the pool works.
func TestPoolWorkersFromSpares(t *testing.T) {
	ctx := withSpares(t, 2)
	spares := process.SparePids()
	p, err := pool.New(ctx, pool.Options{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer p.Terminate()
	workers := p.Pids()
	slices.Sort(spares)
	slices.Sort(workers)
	if !slices.Equal(spares, workers) {
		t.Fatalf("workers %v, ready spares were %v", workers, spares)
	}
	in := []sumArg{{1, 2}, {3, 4}, {5, 6}, {7, 8}}
	out, err := pool.Map(ctx, p, sum, in, pool.Chunksize(1))
	if err != nil || !slices.Equal(out, []int{3, 7, 11, 15}) {
		t.Fatalf("Map = %v, %v", out, err)
	}
	p.Close()
	if err := p.Join(ctx); err != nil {
		t.Fatal(err)
	}
}
