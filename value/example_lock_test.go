package value_test

import (
	"context"
	"fmt"

	"github.com/shmkit/shmkit/array"
	"github.com/shmkit/shmkit/shm"
	"github.com/shmkit/shmkit/sync"
	"github.com/shmkit/shmkit/value"
)

// Python's Value('i', 0, lock=l) and Array('d', 3, lock=l): one lock for
// several objects, so that an update of both is one critical section.
func ExampleWithLock() {
	seg, err := shm.Anonymous(1<<20, nil)
	if err != nil {
		panic(err)
	}
	defer seg.Close()
	l, _ := sync.NewMutex(seg, "l")
	count, _ := value.NewInt[int64](seg, "count", 0, value.WithLock(l))
	totals, _ := array.New[float64](seg, "totals", 3, value.WithLock(l))
	ctx := context.Background()

	count.Mutex().Lock(ctx) // the same lock as l and as totals'
	totals.Store(0, totals.Load(0)+2.5)
	count.Add(1)
	count.Mutex().Unlock()
	fmt.Println(count.Load(), totals.Load(0), count.Mutex().Handle() == l.Handle())
	// Output: 1 2.5 true
}
