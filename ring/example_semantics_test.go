package ring_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/shmkit/shmkit/ring"
	"github.com/shmkit/shmkit/shm"
)

// CPython's calls where shmkit's differ in shape, each an Example that go
// test runs (see docs/from-python.md).

type job struct {
	ID   int
	Name string
}

// A queue of pointers carries nil, as Python's q.put(None) does; a typed
// open of a queue made for another type fails.
func ExampleOpenQueue() {
	ctx := context.Background()
	seg, err := shm.Anonymous(1<<20, nil)
	if err != nil {
		panic(err)
	}
	defer seg.Close()
	q, err := ring.NewQueue[*job](seg, "jobs", nil)
	if err != nil {
		panic(err)
	}
	q.Put(ctx, &job{1, "build"})
	q.Put(ctx, nil) // no more jobs
	for {
		j, err := q.Get(ctx)
		if err != nil {
			panic(err)
		}
		if j == nil {
			fmt.Println("nil: done")
			break
		}
		fmt.Println("job", j.ID, j.Name)
	}
	if _, err := ring.OpenQueue[string](seg, "jobs"); errors.Is(err, shm.ErrWrongKind) {
		fmt.Println("OpenQueue[string]: wrong kind")
	}
	// Output:
	// job 1 build
	// nil: done
	// OpenQueue[string]: wrong kind
}
