package pool_test

// Go counterparts of the Python multiprocessing tutorials our users come
// from (see docs/from-python.md), for the pool. Each example names the
// Python it mirrors.

import (
	"context"
	"fmt"
	"time"

	"github.com/shmkit/shmkit/pool"
	"github.com/shmkit/shmkit/process"
)

// Python: def process_task(item): time.sleep(item); return f"Task {item} completed"
var processTask = process.Register("seeds.processtask", func(ctx context.Context, item int) (string, error) {
	time.Sleep(time.Duration(item) * 10 * time.Millisecond)
	return fmt.Sprintf("Task %d completed", item), nil
})

// Python's concurrent.futures.ProcessPoolExecutor:
//
//	with ProcessPoolExecutor(max_workers=4) as executor:
//	    results = list(executor.map(process_task, [1, 2, 3, 4, 5]))
//	for result in results:
//	    print(result)
//
// executor.map is Pool.map; the with block is a deferred Join.
func Example_processPoolExecutor() {
	ctx := context.Background()
	executor, err := pool.New(ctx, pool.Options{Workers: 4})
	if err != nil {
		panic(err)
	}
	defer executor.Join(ctx) // the end of the with block
	results, err := pool.Map(ctx, executor, processTask, []int{1, 2, 3, 4, 5})
	if err != nil {
		panic(err)
	}
	for _, r := range results {
		fmt.Println(r)
	}
	// Output:
	// Task 1 completed
	// Task 2 completed
	// Task 3 completed
	// Task 4 completed
	// Task 5 completed
}

// Python's synchronous pool.apply, which blocks until each task is done,
// so the tasks run one after another:
//
//	pool = Pool(3)
//	for i in range(10):
//	    pool.apply(worker, (i,))
//	pool.close()
//	pool.join()
func ExampleApply() {
	ctx := context.Background()
	p, err := pool.New(ctx, pool.Options{Workers: 3})
	if err != nil {
		panic(err)
	}
	for i := range 10 {
		ms, err := pool.Apply(ctx, p, executeTask, i) // sleeps i ms
		fmt.Printf("Task %d done in %d ms: %v\n", i, ms, err)
	}
	p.Close()
	fmt.Println(p.Join(ctx))
	// Output:
	// Task 0 done in 0 ms: <nil>
	// Task 1 done in 1 ms: <nil>
	// Task 2 done in 2 ms: <nil>
	// Task 3 done in 3 ms: <nil>
	// Task 4 done in 4 ms: <nil>
	// Task 5 done in 5 ms: <nil>
	// Task 6 done in 6 ms: <nil>
	// Task 7 done in 7 ms: <nil>
	// Task 8 done in 8 ms: <nil>
	// Task 9 done in 9 ms: <nil>
	// <nil>
}
