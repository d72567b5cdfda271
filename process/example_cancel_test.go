package process_test

import (
	"context"
	"fmt"
	"time"

	"github.com/shmkit/shmkit/process"
	"github.com/shmkit/shmkit/shm"
	"github.com/shmkit/shmkit/sync"
)

var (
	// untilCancelled sets started, then waits for its ctx to end and says
	// why it ended.
	untilCancelled = process.Register("example.untilcancelled", func(ctx context.Context, started *sync.Event) (struct{}, error) {
		started.Set()
		<-ctx.Done()
		fmt.Println("child: my ctx ended:", context.Cause(ctx))
		return struct{}{}, context.Cause(ctx)
	})
	// deaf sets started, then sleeps through any cancellation.
	deaf = process.Register("example.deaf", func(ctx context.Context, started *sync.Event) (struct{}, error) {
		started.Set()
		time.Sleep(time.Hour)
		return struct{}{}, nil
	})
)

// startedEvent returns an Event in a fresh anonymous segment, and the
// segment's Close.
func startedEvent() (*sync.Event, func() error) {
	seg, err := shm.Anonymous(1<<16, nil)
	if err != nil {
		panic(err)
	}
	ev, err := sync.NewEvent(seg, "started")
	if err != nil {
		panic(err)
	}
	return ev, seg.Close
}

// Python 3.14's Process.interrupt() sends SIGINT, which raises
// KeyboardInterrupt in the child, whose exit code is then 1:
//
//	p = Process(target=worker); p.start()
//	p.interrupt(); p.join()
//	print(p.exitcode)  # 1
//
// In Go the task's ctx is cancelled (context.Cause is ErrInterrupted) and
// the child exits by the task's result.
func ExampleProcess_Interrupt() {
	ctx := context.Background()
	started, done := startedEvent()
	defer done()
	p, err := process.Start(ctx, untilCancelled, started)
	if err != nil {
		panic(err)
	}
	started.Wait(ctx)
	p.Interrupt()
	p.Join(ctx)
	code, _ := p.ExitCode()
	fmt.Println("exit code:", code)
	// Output:
	// child: my ctx ended: process interrupted
	// exit code: 1
}

// A task that ignores its ctx is killed when the grace period is over
// (CPython's terminate() kills at once; Go gives the task a chance to
// unwind first).
func ExampleWithGrace() {
	ctx := context.Background()
	started, done := startedEvent()
	defer done()
	p, err := process.Start(ctx, deaf, started, process.WithGrace(100*time.Millisecond))
	if err != nil {
		panic(err)
	}
	started.Wait(ctx)
	t0 := time.Now()
	p.Terminate()
	p.Join(ctx)
	code, _ := p.ExitCode()
	fmt.Println("killed after the grace period:", code, time.Since(t0) >= 100*time.Millisecond)
	// Output: killed after the grace period: -9 true
}
