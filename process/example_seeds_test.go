package process_test

// Go counterparts of the Python multiprocessing tutorials our users come
// from (see docs/from-python.md). Each example names the Python it mirrors.

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/shmkit/shmkit/process"
	"github.com/shmkit/shmkit/shm"
	"github.com/shmkit/shmkit/sync"
)

// Tasks for the seed examples, registered at package level as every task
// must be (a child is this binary re-executed: it finds tasks by name).
var (
	// Python: def pId(): print('I am Process: ', os.getpid())
	pID = process.Register("seeds.pid", func(ctx context.Context, _ struct{}) (process.Info, error) {
		me := process.Current()
		fmt.Println("I am Process:", me.Name)
		return me, nil
	})
	// Python: if child_pid == 0: print('Child process executing')
	forkChild = process.RegisterFunc("seeds.forkchild", func(ctx context.Context) error {
		if process.Current().Child {
			fmt.Println("Child process executing")
		}
		return nil
	})
	// Python: for i in range(...): print(f"Child {os.getpid()} working...")
	childWorking = process.RegisterFunc("seeds.working", func(ctx context.Context) error {
		for range 3 {
			fmt.Println("Child working...")
		}
		return nil
	})
	// A child that exits at once (the seeds' zombie: nobody waits for it).
	exitAtOnce = process.RegisterFunc("seeds.exitatonce", func(ctx context.Context) error {
		return nil
	})
	// A child that sleeps until it is killed (the orphaned grandchild).
	sleepLong = process.RegisterFunc("seeds.sleeplong", func(ctx context.Context) error {
		time.Sleep(time.Minute)
		return nil
	})
	// orphanParent starts a grandchild, returns its pid and exits without
	// waiting for it: the seeds' orphan process.
	orphanParent = process.Register("seeds.orphanparent", func(ctx context.Context, _ struct{}) (int, error) {
		p, err := process.Start(ctx, sleepLong, struct{}{})
		if err != nil {
			return 0, err
		}
		return p.Pid(), nil
	})
	// Python: counter += 1; print(f'Child process: counter={counter}')
	incrementGlobal = process.Register("seeds.global", func(ctx context.Context, _ struct{}) (int, error) {
		globalCounter++
		fmt.Printf("Child process: counter=%d\n", globalCounter)
		return globalCounter, nil
	})
	// Python: def run_task(name, age, **kwargs), looping until terminated.
	// Terminate cancels the task's ctx: the loop ends there.
	runTaskKwargs = process.Register("seeds.kwargs", func(ctx context.Context, a runTaskArgs) (struct{}, error) {
		fmt.Printf("Child running: name=%s, age=%d\n", a.Name, a.Age)
		fmt.Printf("Extra args: %v\n", a.Kwargs)
		a.Started.Set()
		for {
			select {
			case <-time.After(500 * time.Millisecond):
			case <-ctx.Done():
				return struct{}{}, ctx.Err()
			}
		}
	})
	// A "subclass" of Process: the task calls the type's Run method.
	customTask = process.Register("seeds.custom", func(ctx context.Context, c customProcess) (struct{}, error) {
		return struct{}{}, c.Run(ctx)
	})
)

// globalCounter is the seeds' module-level counter = 0.
var globalCounter = 0

// runTaskArgs carries Python's args=('test', 18), kwargs={"m": 20}; a task
// of several arguments takes a struct.
type runTaskArgs struct {
	Name    string
	Age     int
	Kwargs  map[string]int
	Started *sync.Event // set once the child printed (travels as a handle)
}

// customProcess is the seeds' class CustomProcess(Process). Go has no
// subclassing: the state is a struct, run() is a method, and a registered
// task calls it in the child.
type customProcess struct {
	Interval time.Duration
}

func (c customProcess) Run(ctx context.Context) error {
	start := time.Now()
	time.Sleep(c.Interval)
	fmt.Printf("%s finished, slept at least %v: %v\n",
		process.Current().Name, c.Interval, time.Since(start) >= c.Interval)
	return nil
}

// Parent and child both ask who they are, as Python's os.getpid() and
// os.getppid():
//
//	def pId():
//	    print('I am Process: ', os.getpid())
//	p = Process(target=pId)
//	p.start()
//	print('I am process: ', os.getpid())
//	p.join()
//
// Pids differ from run to run, so the example prints names and compares
// the pids.
func Example_getpid() {
	ctx := context.Background()
	fmt.Println("I am process:", process.Current().Name)
	p, err := process.Start(ctx, pID, struct{}{}, process.WithName("Process-1"))
	if err != nil {
		panic(err)
	}
	child, err := process.Wait[process.Info](ctx, p)
	if err != nil {
		panic(err)
	}
	fmt.Println("child's pid is p.Pid():", child.Pid == p.Pid())
	fmt.Println("child's pid differs from mine:", child.Pid != os.Getpid())
	fmt.Println("child's parent pid is mine:", child.ParentPid == os.Getpid())
	// Output:
	// I am process: MainProcess
	// I am Process: Process-1
	// child's pid is p.Pid(): true
	// child's pid differs from mine: true
	// child's parent pid is mine: true
}

// Go cannot fork a running program; the counterpart of Python's
//
//	child_pid = os.fork()
//	if child_pid == 0:
//	    print('Child process executing')
//	else:
//	    print('Parent process executing')
//
// is a registered task run in a re-executed child, which knows it is one
// from process.Current().Child.
func Example_fork() {
	ctx := context.Background()
	if !process.Current().Child {
		fmt.Println("Parent process executing")
	}
	if _, err := process.Run(ctx, forkChild, struct{}{}); err != nil {
		panic(err)
	}
	// Output:
	// Parent process executing
	// Child process executing
}

// Python's os.wait() after a fork, which reclaims the child and returns
// its exit status:
//
//	child_pid, exit_status = os.wait()
//	print(f"Reclaimed child: {child_pid}, status: {exit_status}")
//
// Join waits for the child; ExitCode gives its status.
func ExampleProcess_ExitCode() {
	ctx := context.Background()
	fmt.Println("Parent waiting...")
	p, err := process.Start(ctx, childWorking, struct{}{})
	if err != nil {
		panic(err)
	}
	if err := p.Join(ctx); err != nil {
		panic(err)
	}
	code, exited := p.ExitCode()
	fmt.Println("Reclaimed child:", exited, "status:", code)
	fmt.Println("Cleanup complete")
	// Output:
	// Parent waiting...
	// Child working...
	// Child working...
	// Child working...
	// Reclaimed child: true status: 0
	// Cleanup complete
}

// The seeds' orphan process: a parent that ends before its child leaves
// the child running, adopted by init. A shmkit child dies with its parent
// instead: here a child starts a grandchild and returns at once, and the
// grandchild goes with it.
func Example_orphan() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	grandchild, err := process.Run(ctx, orphanParent, struct{}{})
	if err != nil {
		panic(err)
	}
	for ctx.Err() == nil {
		b, err := os.ReadFile("/proc/" + strconv.Itoa(grandchild) + "/stat")
		if err != nil || strings.Contains(string(b), ") Z ") { // gone, or dead and awaiting init's reaping
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	fmt.Println("grandchild died with its parent:", ctx.Err() == nil)
	// Output: grandchild died with its parent: true
}

// The seeds' zombie process: a child that exited but was never waited for
// stays in the process table. A shmkit child is reaped whether or not
// anyone calls Join.
func Example_zombie() {
	ctx := context.Background()
	p, err := process.Start(ctx, exitAtOnce, struct{}{})
	if err != nil {
		panic(err)
	}
	select {
	case <-p.Done(): // closed once the child exited and was reaped; no Join
	case <-time.After(10 * time.Second):
		panic("child not reaped")
	}
	_, err = os.Stat("/proc/" + strconv.Itoa(p.Pid()))
	fmt.Println("no zombie left behind:", errors.Is(err, os.ErrNotExist))
	// Output: no zombie left behind: true
}

// Each process has its own globals, as after Python's fork:
//
//	counter = 0
//	pid = os.fork()
//	if pid == 0:
//	    counter += 1
//	    print(f'Child process: counter={counter}')
//	else:
//	    time.sleep(1)
//	    counter += 1
//	    print(f'Parent process: counter={counter}')
//
// A shmkit child is a fresh copy of the binary, so it starts from the
// globals' initial values. Share state through value, array or manager.
func Example_globals() {
	ctx := context.Background()
	globalCounter = 0
	if _, err := process.Run(ctx, incrementGlobal, struct{}{}); err != nil {
		panic(err)
	}
	globalCounter++
	fmt.Printf("Parent process: counter=%d\n", globalCounter)
	// Output:
	// Child process: counter=1
	// Parent process: counter=1
}

// Python's Process with args and kwargs, terminated by its parent:
//
//	p = Process(target=run_task, args=('test', 18), kwargs={"m": 20})
//	p.start()
//	sleep(1)
//	p.terminate()
//	p.join()
//
// Several arguments travel as one struct. Instead of sleeping, the parent
// waits for an Event the child sets once it has printed.
func ExampleProcess_Terminate() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	seg, err := shm.Anonymous(1<<16, nil)
	if err != nil {
		panic(err)
	}
	defer seg.Close()
	started, err := sync.NewEvent(seg, "started")
	if err != nil {
		panic(err)
	}
	fmt.Println("Child process starting")
	p, err := process.Start(ctx, runTaskKwargs, runTaskArgs{
		Name: "test", Age: 18, Kwargs: map[string]int{"m": 20}, Started: started,
	})
	if err != nil {
		panic(err)
	}
	if err := started.Wait(ctx); err != nil {
		panic(err)
	}
	p.Terminate() // SIGTERM
	err = p.Join(ctx)
	var exit *process.ExitError
	code, _ := p.ExitCode()
	fmt.Println("Child process terminated:", errors.As(err, &exit) && exit.Signal == syscall.SIGTERM, code)
	// Output:
	// Child process starting
	// Child running: name=test, age=18
	// Extra args: map[m:20]
	// Child process terminated: true -15
}

// Two workers, one named, checked with is_alive() and joined:
//
//	p1 = Process(target=worker_one, args=(2,))
//	p2 = Process(target=worker_two, name="WorkerTwo", args=(1,))
//	p1.start(); p2.start()
//	print(f"p2 running: {p2.is_alive()}")
//	print(f"p1.name={p1.name}, p1.pid={p1.pid}")
//	print(f"p2.name={p2.name}, p2.pid={p2.pid}")
//	p1.join()
//	print(f"p1 still running: {p1.is_alive()}")
func ExampleProcess_IsAlive() {
	ctx := context.Background()
	p1, err := process.Start(ctx, executeTask, 200) // sleeps 200 ms
	if err != nil {
		panic(err)
	}
	p2, err := process.Start(ctx, executeTask, 100, process.WithName("WorkerTwo"))
	if err != nil {
		panic(err)
	}
	fmt.Println("p2 running:", p2.IsAlive())
	// The default name is Process-N, N counting the children started so far.
	fmt.Println("p1.name is Process-N:", strings.HasPrefix(p1.Name(), "Process-"), "pid > 0:", p1.Pid() > 0)
	fmt.Println("p2.name =", p2.Name(), "pid > 0:", p2.Pid() > 0)
	if err := p1.Join(ctx); err != nil {
		panic(err)
	}
	fmt.Println("p1 still running:", p1.IsAlive())
	fmt.Println(p2.Join(ctx))
	// Output:
	// p2 running: true
	// p1.name is Process-N: true pid > 0: true
	// p2.name = WorkerTwo pid > 0: true
	// p1 still running: false
	// <nil>
}

// Python's subclass of Process:
//
//	class CustomProcess(Process):
//	    def __init__(self, interval): ...
//	    def run(self): time.sleep(self.interval) ...
//	p1 = CustomProcess(2); p1.start(); p1.join()
//
// In Go the subclass is a struct with a Run method, and a task registered
// at package level calls it in the child.
func Example_subclass() {
	ctx := context.Background()
	start := time.Now()
	interval := 20 * time.Millisecond
	p, err := process.Start(ctx, customTask, customProcess{Interval: interval}, process.WithName("CustomProcess-1"))
	if err != nil {
		panic(err)
	}
	fmt.Println(p.Join(ctx))
	fmt.Println("total time at least the interval:", time.Since(start) >= interval)
	// Output:
	// CustomProcess-1 finished, slept at least 20ms: true
	// <nil>
	// total time at least the interval: true
}

// Python's subprocess.call runs another program, not a Python function:
//
//	print('$ nslookup www.python.org')
//	r = subprocess.call(['nslookup', 'www.python.org'])
//	print('Exit code:', r)
//
// That is Go's os/exec, not package process (which runs registered Go
// tasks in copies of this binary). echo stands in for nslookup, which
// needs the network.
func Example_subprocessCall() {
	fmt.Println("$ echo www.python.org")
	cmd := exec.Command("echo", "www.python.org")
	cmd.Stdout = os.Stdout
	err := cmd.Run()
	fmt.Println("Exit code:", cmd.ProcessState.ExitCode(), err)
	// Output:
	// $ echo www.python.org
	// www.python.org
	// Exit code: 0 <nil>
}

// Python's Popen.communicate, feeding a program's standard input and
// collecting its output:
//
//	p = subprocess.Popen(['nslookup'], stdin=PIPE, stdout=PIPE, stderr=PIPE)
//	output, err = p.communicate(b'set q=mx\npython.org\nexit\n')
//	print(output.decode('utf-8'))
//	print('Exit code:', p.returncode)
//
// Again Go's os/exec; tr stands in for nslookup.
func Example_subprocessCommunicate() {
	cmd := exec.Command("tr", "a-z", "A-Z")
	cmd.Stdin = strings.NewReader("set q=mx\npython.org\nexit\n")
	output, err := cmd.Output()
	fmt.Print(string(output))
	fmt.Println("Exit code:", cmd.ProcessState.ExitCode(), err)
	// Output:
	// SET Q=MX
	// PYTHON.ORG
	// EXIT
	// Exit code: 0 <nil>
}

// Python's Process running a CPU-bound function, printing its pid:
//
//	worker = multiprocessing.Process(target=compute_fibonacci, args=(30,))
//	worker.start()
//	print(f"Process ID: {worker.pid}")
//	worker.join()
//	print("Main process completed")
//
// process.Wait joins the child and also returns the task's result.
func ExampleProcess_Pid() {
	ctx := context.Background()
	worker, err := process.Start(ctx, fib, 30)
	if err != nil {
		panic(err)
	}
	fmt.Println("Process ID > 0:", worker.Pid() > 0)
	n, err := process.Wait[int](ctx, worker)
	fmt.Println("fib(30) =", n, err)
	fmt.Println("Main process completed")
	// Output:
	// Process ID > 0: true
	// fib(30) = 832040 <nil>
	// Main process completed
}
