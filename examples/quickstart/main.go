// Command quickstart is the README's example: a pool of worker processes
// counting into a shared value and filling a shared dict, and a queue
// between two processes. Every error is handled; its test runs it.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log"
	"strconv"
	"strings"

	"github.com/shmkit/shmkit/manager"
	"github.com/shmkit/shmkit/pool"
	"github.com/shmkit/shmkit/process"
	"github.com/shmkit/shmkit/ring"
	"github.com/shmkit/shmkit/shm"
	"github.com/shmkit/shmkit/value"
)

type job struct {
	N       int
	Counter *value.Int[int64] // shared objects travel to children as handles
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
	return struct{}{}, q.Close() // the reader sees io.EOF once it has all three
})

func main() {
	process.Main() // first line: in a child, runs its task and exits
	if err := run(context.Background()); err != nil {
		log.Fatal(err)
	}
}

func run(ctx context.Context) error {
	seg, err := shm.Anonymous(1<<20, nil) // shared objects live in segments
	if err != nil {
		return err
	}
	defer seg.Close()
	counter, err := value.NewInt[int64](seg, "counter", 0)
	if err != nil {
		return err
	}
	m, err := manager.New(nil) // a Manager's dicts live in a segment of its own
	if err != nil {
		return err
	}
	defer m.Close()
	squares, err := m.Dict("squares", nil)
	if err != nil {
		return err
	}

	// A pool of worker processes, made after the shared objects: its
	// workers inherit the segments that exist when they start.
	workers, err := pool.New(ctx, pool.Options{Workers: 2})
	if err != nil {
		return err
	}
	defer workers.Terminate() // on an early return; nothing to do after Join
	var jobs []job
	for n := range 10 {
		jobs = append(jobs, job{N: n, Counter: counter, Squares: squares})
	}
	results, err := pool.Map(ctx, workers, square, jobs)
	if err != nil {
		return err
	}
	if err := workers.Join(ctx); err != nil {
		return err
	}
	n, err := squares.Len(ctx)
	if err != nil {
		return err
	}
	fmt.Println(results, "counter:", counter.Load(), "dict entries:", n)

	// A queue between this process and a child.
	letters, err := ring.NewQueue[string](seg, "letters", nil)
	if err != nil {
		return err
	}
	child, err := process.Start(ctx, produce, letters)
	if err != nil {
		return err
	}
	var got []string
	for {
		s, err := letters.Get(ctx)
		if errors.Is(err, io.EOF) { // closed by the producer, and drained
			break
		}
		if err != nil {
			return err
		}
		got = append(got, s)
	}
	fmt.Println(strings.Join(got, " "))
	return child.Join(ctx) // the task's error, or how the child died
}
