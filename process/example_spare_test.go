package process_test

import (
	"context"
	"fmt"

	"github.com/shmkit/shmkit/process"
)

// say prints its argument on the child's standard output.
var say = process.Register("example.say", func(ctx context.Context, s string) (struct{}, error) {
	fmt.Print(s)
	return struct{}{}, nil
})

// Warm starts: a spare child is started ahead of time, and Start hands it
// the task instead of exec'ing a child. Stop the spares when done (or
// defer process.Shutdown in main): they are processes.
func ExampleEnableSpares() {
	ctx := context.Background()
	if err := process.EnableSpares(1); err != nil {
		panic(err)
	}
	defer process.StopSpares()
	if err := process.WaitSpares(ctx); err != nil { // not needed: Start never waits for a spare
		panic(err)
	}
	p, err := process.Start(ctx, sum, sumArg{A: 2, B: 3})
	if err != nil {
		panic(err)
	}
	got, err := process.Wait[int](ctx, p)
	fmt.Println(got, err, "from a spare:", p.FromSpare())
	// Output: 5 <nil> from a spare: true
}

// WaitSpares before each start that must be fast: the spare used by the
// last one has been replaced. The child's output goes where a cold
// child's would: this process's os.Stdout as of Start.
func ExampleWaitSpares() {
	ctx := context.Background()
	if err := process.EnableSpares(1); err != nil {
		panic(err)
	}
	defer process.StopSpares()
	for i := range 3 {
		if err := process.WaitSpares(ctx); err != nil {
			panic(err)
		}
		if _, err := process.Run(ctx, say, fmt.Sprint("child ", i, " "), process.WithName(fmt.Sprint("warm-", i))); err != nil {
			panic(err)
		}
	}
	fmt.Println()
	// Output: child 0 child 1 child 2
}

// A child whose packages must see WithEnv's entries while they initialise
// is exec'ed, not handed to a spare (whose packages initialised before the
// task was known).
func ExampleWithColdStart() {
	ctx := context.Background()
	if err := process.EnableSpares(1); err != nil {
		panic(err)
	}
	defer process.StopSpares()
	p, err := process.Start(ctx, sum, sumArg{A: 1, B: 1}, process.WithColdStart(), process.WithEnv("MYAPP_MODE=fresh"))
	if err != nil {
		panic(err)
	}
	got, err := process.Wait[int](ctx, p)
	fmt.Println(got, err, "from a spare:", p.FromSpare())
	// Output: 2 <nil> from a spare: false
}

// StopSpares reaps the spares: they are not children (ActiveChildren does
// not list them) until Start hands one a task.
func ExampleStopSpares() {
	ctx := context.Background()
	if err := process.EnableSpares(2); err != nil {
		panic(err)
	}
	if err := process.WaitSpares(ctx); err != nil {
		panic(err)
	}
	fmt.Println("children:", len(process.ActiveChildren()))
	process.StopSpares()
	p, err := process.Start(ctx, sum, sumArg{A: 1, B: 2})
	if err != nil {
		panic(err)
	}
	got, _ := process.Wait[int](ctx, p)
	fmt.Println(got, "from a spare:", p.FromSpare())
	// Output:
	// children: 0
	// 3 from a spare: false
}
