// Command quickstart is the README's example: a pool of worker processes
// counting into a shared value and filling a shared dict, and a queue
// between two processes.
package main

import (
	"context"
	"fmt"
	"log"
	"strconv"

	"github.com/shmkit/shmkit/manager"
	"github.com/shmkit/shmkit/pool"
	"github.com/shmkit/shmkit/process"
	"github.com/shmkit/shmkit/ring"
	"github.com/shmkit/shmkit/shm"
	"github.com/shmkit/shmkit/value"
)

type job struct {
	N       int
	Counter *value.Int[int64] // shared objects travel as handles
	Squares *manager.LocalDict
}

// Tasks are registered by name at init: a child is this binary re-executed.
var square = process.Register("square", func(ctx context.Context, j job) (int, error) {
	j.Counter.Add(1)
	err := j.Squares.Set(ctx, strconv.Itoa(j.N), []byte(strconv.Itoa(j.N*j.N)))
	return j.N * j.N, err
})

var produce = process.Register("produce", func(ctx context.Context, q *ring.Queue[string]) (struct{}, error) {
	for _, s := range []string{"a", "b", "c"} {
		if err := q.Put(ctx, s); err != nil {
			return struct{}{}, err
		}
	}
	return struct{}{}, q.Close()
})

func main() {
	process.Main() // first line: turns a child into its task
	ctx := context.Background()

	seg, err := shm.Anonymous(1<<20, nil) // shared objects live in segments
	if err != nil {
		log.Fatal(err)
	}
	defer seg.Close()
	counter, _ := value.NewInt[int64](seg, "counter", 0)
	m, err := manager.New(nil)
	if err != nil {
		log.Fatal(err)
	}
	defer m.Close()
	squares, _ := m.Dict("squares", nil)

	// A pool of worker processes (created after the shared objects: its
	// workers inherit the segments that exist when they start).
	workers, err := pool.New(ctx, pool.Options{Workers: 2})
	if err != nil {
		log.Fatal(err)
	}
	var jobs []job
	for n := range 10 {
		jobs = append(jobs, job{N: n, Counter: counter, Squares: squares})
	}
	results, err := pool.Map(ctx, workers, square, jobs)
	workers.Close()
	workers.Join(ctx)
	n, _ := squares.Len(ctx)
	fmt.Println(results, err, "counter:", counter.Load(), "dict entries:", n)

	// A queue between this process and a child.
	q, _ := ring.NewQueue[string](seg, "letters", nil)
	p, err := process.Start(ctx, produce, q)
	if err != nil {
		log.Fatal(err)
	}
	for {
		s, err := q.Get(ctx) // io.EOF once the producer closed and it is drained
		if err != nil {
			break
		}
		fmt.Print(s, " ")
	}
	fmt.Println(p.Join(ctx))
}
