package pool_test

import (
	"context"
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/shmkit/shmkit/pool"
	"github.com/shmkit/shmkit/process"
)

// Tasks for the examples, registered at package level as every task must be.
var (
	executeTask = process.Register("example.execute", func(ctx context.Context, ms int) (int, error) {
		time.Sleep(time.Duration(ms) * time.Millisecond)
		return ms, nil
	})
	fib = process.Register("example.fib", func(ctx context.Context, n int) (int, error) {
		var f func(int) int
		f = func(n int) int {
			if n < 2 {
				return n
			}
			return f(n-1) + f(n-2)
		}
		return f(n), nil
	})
	background = process.Register("example.background", func(ctx context.Context, _ struct{}) (string, error) {
		return "completed", nil
	})
	// whoRuns returns the name of the worker that runs it.
	whoRuns = process.Register("example.whoruns", func(ctx context.Context, _ int) (string, error) {
		return process.Current().Name, nil
	})
	// A task of several arguments takes a struct: Python's starmap.
	power = process.Register("example.power", func(ctx context.Context, a powArgs) (float64, error) {
		return math.Pow(a.Base, a.Exp), nil
	})
)

type powArgs struct{ Base, Exp float64 }

// Python: pool.imap(execute_task, [1, 5, 3]) then imap_unordered.
func ExampleImap() {
	ctx := context.Background()
	p, err := pool.New(ctx, pool.Options{Workers: 2})
	if err != nil {
		panic(err)
	}
	defer p.Join(ctx)
	tasks := []int{100, 500, 300} // milliseconds
	for ms, err := range pool.Imap(ctx, p, executeTask, slices.Values(tasks)) {
		fmt.Println("completed task after", ms, "ms", err)
	}
	for ms, err := range pool.ImapUnordered(ctx, p, executeTask, slices.Values(tasks)) {
		fmt.Println("task finished in", ms, "ms", err)
	}
	// Output:
	// completed task after 100 ms <nil>
	// completed task after 500 ms <nil>
	// completed task after 300 ms <nil>
	// task finished in 100 ms <nil>
	// task finished in 300 ms <nil>
	// task finished in 500 ms <nil>
}

// Python: pool.map(fib, range(20, 26)) — CPU-bound fan-out.
func ExampleMap() {
	ctx := context.Background()
	p, err := pool.New(ctx, pool.Options{})
	if err != nil {
		panic(err)
	}
	defer p.Join(ctx)
	results, err := pool.Map(ctx, p, fib, []int{20, 21, 22, 23, 24, 25})
	fmt.Println(results, err)
	// Output: [6765 10946 17711 28657 46368 75025] <nil>
}

// Python: pool.starmap(pow, [(2, 3), (3, 2), (10, 0.5)]).
func ExampleMap_starmap() {
	ctx := context.Background()
	p, err := pool.New(ctx, pool.Options{Workers: 2})
	if err != nil {
		panic(err)
	}
	defer p.Join(ctx)
	results, err := pool.Map(ctx, p, power, []powArgs{{2, 3}, {3, 2}, {100, 0.5}})
	fmt.Println(results, err)
	// Output: [8 9 10] <nil>
}

// Python: Pool(3), ten apply_async calls, close, join.
func ExampleApplyAsync() {
	ctx := context.Background()
	p, err := pool.New(ctx, pool.Options{Workers: 3})
	if err != nil {
		panic(err)
	}
	var futures []*pool.Future[int]
	for i := range 10 {
		futures = append(futures, pool.ApplyAsync(ctx, p, executeTask, i))
	}
	fmt.Println("=== Pool started ===")
	p.Close() // no new tasks accepted
	p.Join(ctx)
	for i, f := range futures {
		ms, err := f.Get(ctx)
		fmt.Printf("%d:%d %v\n", i, ms, err == nil)
	}
	fmt.Println("=== All tasks finished ===")
	// Output:
	// === Pool started ===
	// 0:0 true
	// 1:1 true
	// 2:2 true
	// 3:3 true
	// 4:4 true
	// 5:5 true
	// 6:6 true
	// 7:7 true
	// 8:8 true
	// 9:9 true
	// === All tasks finished ===
}

// Python: apply_async(func=background_task, callback=callback): the
// callback runs in the parent.
func ExampleFuture_OnSuccess() {
	ctx := context.Background()
	p, err := pool.New(ctx, pool.Options{Workers: 3})
	if err != nil {
		panic(err)
	}
	defer p.Join(ctx)
	f := pool.ApplyAsync(ctx, p, background, struct{}{}).OnSuccess(func(r string) {
		fmt.Println("callback in the parent:", process.Current().Name, "result:", r)
	})
	<-f.Done()
	fmt.Println("main process done")
	// Output:
	// callback in the parent: MainProcess result: completed
	// main process done
}

// Python: pool.map_async(fib, [20, 21, 22], callback=print,
// error_callback=print).get(). One Future for the whole map.
func ExampleMapAsync() {
	ctx := context.Background()
	p, err := pool.New(ctx, pool.Options{Workers: 2})
	if err != nil {
		panic(err)
	}
	defer p.Join(ctx)
	f := pool.MapAsync(ctx, p, fib, []int{20, 21, 22}).
		OnSuccess(func(r []int) { fmt.Println("callback:", r) }).
		OnError(func(err error) { fmt.Println("error callback:", err) })
	results, err := f.Get(ctx)
	fmt.Println(results, err)
	// Output:
	// callback: [6765 10946 17711]
	// [6765 10946 17711] <nil>
}

// Python's error_callback: called with the error in the parent.
func ExampleFuture_OnError() {
	ctx := context.Background()
	p, err := pool.New(ctx, pool.Options{Workers: 1})
	if err != nil {
		panic(err)
	}
	defer p.Join(ctx)
	f := pool.ApplyAsync(ctx, p, napCtx, 5000, pool.Timeout(10*time.Millisecond)).
		OnError(func(err error) { fmt.Println("error callback:", errors.Is(err, context.DeadlineExceeded)) })
	<-f.Done()
	// Output: error callback: true
}

// Python: current_process().name in a pool worker ("ForkPoolWorker-1");
// in shmkit, "PoolWorker-N", the same N for a worker's replacement.
func Example_workerName() {
	ctx := context.Background()
	p, err := pool.New(ctx, pool.Options{Workers: 1})
	if err != nil {
		panic(err)
	}
	defer p.Join(ctx)
	name, err := pool.Apply(ctx, p, whoRuns, 0)
	fmt.Println(name, err)
	// Output: PoolWorker-1 <nil>
}
