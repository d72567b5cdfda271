package process_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"time"

	"github.com/shmkit/shmkit/process"
)

var (
	// Python: print(parent_process().name, parent_process().is_alive())
	greetParent = process.RegisterFunc("example.greetparent", func(ctx context.Context) error {
		pp := process.Parent()
		fmt.Println("my parent:", pp.Name(), "alive:", pp.Alive(), "pid is my ppid:", pp.Pid() == os.Getppid())
		return nil
	})
	// slowWorker works for a while, then says so.
	slowWorker = process.Register("example.slowworker", func(ctx context.Context, d time.Duration) (struct{}, error) {
		time.Sleep(d)
		fmt.Println("worker: done")
		return struct{}{}, nil
	})
)

// Python's multiprocessing.active_children(): the children still running.
func ExampleActiveChildren() {
	ctx := context.Background()
	started, done := startedEvent()
	defer done()
	p, err := process.Start(ctx, untilCancelled, started)
	if err != nil {
		panic(err)
	}
	started.Wait(ctx)
	fmt.Println("running:", slices.Contains(process.ActiveChildren(), p))
	p.Terminate()
	p.Join(ctx)
	fmt.Println("after Join:", slices.Contains(process.ActiveChildren(), p))
	// Output:
	// running: true
	// child: my ctx ended: process terminated
	// after Join: false
}

// Python's multiprocessing.parent_process(), in a child: its parent's
// name, pid and liveness (Wait waits for it to die).
func ExampleParent() {
	if _, err := process.Run(context.Background(), greetParent, struct{}{}); err != nil {
		panic(err)
	}
	fmt.Println("in the parent, Parent() is nil:", process.Parent() == nil)
	// Output:
	// my parent: MainProcess alive: true pid is my ppid: true
	// in the parent, Parent() is nil: true
}

// Python's Process.close(): release a finished process; using it
// afterwards is an error.
func ExampleProcess_Close() {
	ctx := context.Background()
	p, err := process.Start(ctx, hello, struct{}{})
	if err != nil {
		panic(err)
	}
	p.Join(ctx)
	fmt.Println("close:", p.Close())
	fmt.Println("join after close fails:", errors.Is(p.Join(ctx), os.ErrClosed))
	// Output:
	// Hello
	// close: <nil>
	// join after close fails: true
}

// CPython's default daemon=False: the parent waits for the child before
// it exits. Go has no exit hook, so main defers Shutdown:
//
//	func main() {
//		process.Main()
//		defer process.Shutdown(context.Background())
//		process.Start(ctx, work, arg, process.WithDaemon(false))
//	}
func ExampleShutdown() {
	ctx := context.Background()
	if _, err := process.Start(ctx, slowWorker, 50*time.Millisecond, process.WithDaemon(false)); err != nil {
		panic(err)
	}
	fmt.Println("main: at its end")
	process.Shutdown(ctx)
	fmt.Println("main: every non-daemonic child finished")
	// Output:
	// main: at its end
	// worker: done
	// main: every non-daemonic child finished
}
