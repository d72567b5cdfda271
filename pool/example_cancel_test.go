package pool_test

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/shmkit/shmkit/pool"
	"github.com/shmkit/shmkit/process"
)

// napCtx sleeps ms milliseconds, or until its ctx ends.
var napCtx = process.Register("example.napctx", func(ctx context.Context, ms int) (int, error) {
	select {
	case <-time.After(time.Duration(ms) * time.Millisecond):
		return ms, nil
	case <-ctx.Done():
		return 0, ctx.Err()
	}
})

// A per-task timeout, which Python's Pool has not (AsyncResult.get's
// timeout stops the wait, not the task): each input's ctx ends 200 ms
// after it starts.
func ExampleTimeout() {
	ctx := context.Background()
	p, err := pool.New(ctx, pool.Options{Workers: 2})
	if err != nil {
		panic(err)
	}
	defer p.Join(ctx)
	for ms, err := range pool.Imap(ctx, p, napCtx, slices.Values([]int{10, 5000}), pool.Timeout(200*time.Millisecond)) {
		fmt.Println(ms, err)
	}
	// Output:
	// 10 <nil>
	// 0 task example.napctx: context deadline exceeded
}
