package process_test

import (
	"context"
	"fmt"
	"time"

	"github.com/shmkit/shmkit/process"
)

// Python: def run_proc(name): print('Run child process %s (%s)...' % (name, os.getpid()))
var runProc = process.Register("example.runproc", func(ctx context.Context, name string) (struct{}, error) {
	me := process.Current()
	fmt.Printf("Run child process %s (%s, child=%v)...\n", name, me.Name, me.Child)
	return struct{}{}, nil
})

// Python: def hello(): print('Hello')
var hello = process.RegisterFunc("example.hello", func(ctx context.Context) error {
	fmt.Println("Hello")
	return nil
})

// Tasks the seed examples start as children.
var (
	// executeTask sleeps ms milliseconds and returns ms.
	executeTask = process.Register("example.execute", func(ctx context.Context, ms int) (int, error) {
		time.Sleep(time.Duration(ms) * time.Millisecond)
		return ms, nil
	})
	// Python: def compute_fibonacci(n), CPU-bound.
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
)

// Python: p = Process(target=run_proc, args=('test',)); p.start(); p.join()
func ExampleStart() {
	ctx := context.Background()
	fmt.Println("Parent process", process.Current().Name)
	fmt.Println("Child process will start.")
	p, err := process.Start(ctx, runProc, "test", process.WithName("Process-test"))
	if err != nil {
		panic(err)
	}
	err = p.Join(ctx)
	code, _ := p.ExitCode()
	fmt.Println("Child process end:", err, code)
	// Output:
	// Parent process MainProcess
	// Child process will start.
	// Run child process test (Process-test, child=true)...
	// Child process end: <nil> 0
}

// Python: p = Process(target=hello); p.start()
func ExampleRegisterFunc() {
	ctx := context.Background()
	p, err := process.Start(ctx, hello, struct{}{})
	if err != nil {
		panic(err)
	}
	fmt.Println(p.Join(ctx))
	// Output:
	// Hello
	// <nil>
}
