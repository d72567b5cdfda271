package bench_test

import (
	"context"
	"fmt"

	"github.com/shmkit/shmkit/bench"
)

// A case names one measurement; its label is the go test -bench sub-name.
func ExampleCase_Label() {
	c := bench.Case{Scenario: "stream", Transport: "shm-spsc", Mode: "spin", Size: 64, Batch: 32}
	fmt.Println("BenchmarkStream/" + c.Label())
	// Output: BenchmarkStream/shm-spsc-spin/64x32
}

// RunCase measures one case; every byte copied is checked.
func ExampleRunCase() {
	r := bench.RunCase(context.Background(), bench.Case{Scenario: "memcpy", Transport: "memcpy", Size: 4096, Batch: 1, Ops: 1000})
	fmt.Println(r.Failed, r.Ops, r.BytesPerS > 0)
	// Output: false 1000 true
}

// Options.Plan lists what a run would measure, before running it.
func ExampleOptions_Plan() {
	o := bench.Options{Only: []string{"pingpong"}, Transports: []string{"pipe-raw", "cacheline"}, Config: bench.Config{Sizes: []int{64}}}
	for _, c := range o.Plan() {
		fmt.Println(c.Scenario, c.Label())
	}
	// Output:
	// pingpong cacheline/64
	// pingpong pipe-raw/64
}
