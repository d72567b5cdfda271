package ring_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"

	"github.com/shmkit/shmkit/process"
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

// Python 3.13's Queue.shutdown: without immediate, consumers take what is
// left, then get queue.ShutDown; with it, what is left is dropped.
func ExampleQueue_Shutdown() {
	ctx := context.Background()
	seg, err := shm.Anonymous(1<<20, nil)
	if err != nil {
		panic(err)
	}
	defer seg.Close()
	q, err := ring.NewJoinableQueue[string](seg, "q", nil)
	if err != nil {
		panic(err)
	}
	q.Put(ctx, "a")
	q.Put(ctx, "b")
	q.Shutdown(false)
	fmt.Println(q.Put(ctx, "c"))
	v, err := q.Get(ctx)
	fmt.Println(v, err)
	q.Shutdown(true) // drops "b", and counts it done
	_, err = q.Get(ctx)
	fmt.Println(errors.Is(err, ring.ErrShutdown), q.Len(), q.Unfinished())
	// Output:
	// queue "q" shut down
	// a <nil>
	// true 0 1
}

// A consumer ranges over a queue until it is closed (or shut down).
func ExampleQueue_All() {
	ctx := context.Background()
	seg, err := shm.Anonymous(1<<20, nil)
	if err != nil {
		panic(err)
	}
	defer seg.Close()
	q, err := ring.NewQueue[int](seg, "squares", nil)
	if err != nil {
		panic(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 4 {
			q.Put(ctx, i*i)
		}
		q.Close()
	}()
	for v, err := range q.All(ctx) {
		if err != nil {
			panic(err)
		}
		fmt.Print(v, " ")
	}
	fmt.Println()
	<-done // out of Close before the segment goes
	// Output:
	// 0 1 4 9
}

// Close lets go of one process's handle, as Python's close does; Shutdown
// ends the pipe for every process that holds it.
func ExampleConn_Shutdown() {
	ctx := context.Background()
	seg, err := shm.Anonymous(1<<20, nil)
	if err != nil {
		panic(err)
	}
	defer seg.Close()
	r, w, err := ring.NewPipe(seg, "pipe", false, &ring.Options{Capacity: 4096})
	if err != nil {
		panic(err)
	}
	_, w2, err := ring.OpenPipe(seg, "pipe") // another handle on the write end
	if err != nil {
		panic(err)
	}
	w.SendBytes(ctx, []byte("one"))
	w.Close()                          // this handle lets go...
	w2.SendBytes(ctx, []byte("two"))   // ...the other still sends
	fmt.Println(w.SendBytes(ctx, nil)) // but not this one
	w2.Shutdown()                      // the end of the pipe, for everyone
	for {
		m, err := r.RecvBytes(ctx)
		if err != nil {
			fmt.Println(err)
			break
		}
		fmt.Println(string(m))
	}
	// Output:
	// pipe "pipe" end 1: handle closed
	// one
	// two
	// EOF
}

// recv_bytes_into: a message into a caller's buffer; one too long for it
// comes back whole in the error, as Python's BufferTooShort carries it.
func ExampleConn_RecvBytesInto() {
	ctx := context.Background()
	seg, err := shm.Anonymous(1<<20, nil)
	if err != nil {
		panic(err)
	}
	defer seg.Close()
	a, b, err := ring.NewPipe(seg, "pipe", true, &ring.Options{Capacity: 4096})
	if err != nil {
		panic(err)
	}
	buf := make([]byte, 8)
	b.SendBytes(ctx, []byte("short"))
	n, err := a.RecvBytesInto(ctx, buf)
	fmt.Println(n, err, string(buf[:n]))
	b.SendBytes(ctx, []byte("far too long for it"))
	_, err = a.RecvBytesInto(ctx, buf)
	var short *ring.BufferTooShortError
	if errors.As(err, &short) {
		fmt.Printf("%v: %q\n", err, short.Message)
	}
	// Output:
	// 5 <nil> short
	// pipe "pipe": message of 19 bytes, buffer of 8: "far too long for it"
}

// multiprocessing.connection.wait: one process reads from several pipes
// as messages arrive, and waits for a child's exit (its sentinel) the same
// way.
func ExampleWait() {
	ctx := context.Background()
	seg, err := shm.Anonymous(1<<20, nil)
	if err != nil {
		panic(err)
	}
	defer seg.Close()
	var open []any
	var children []*process.Process
	for _, name := range []string{"a", "b", "c"} {
		r, w, err := ring.NewPipe(seg, name, false, &ring.Options{Capacity: 4096})
		if err != nil {
			panic(err)
		}
		p, err := process.Start(ctx, sender, w) // sends [1 2 3], closes
		if err != nil {
			panic(err)
		}
		w.Close()
		open = append(open, r)
		children = append(children, p)
	}
	sum := 0
	for len(open) > 0 {
		ready, err := ring.Wait(ctx, open...)
		if err != nil {
			panic(err)
		}
		for _, o := range ready {
			var v []int
			if err := o.(*ring.Conn).Recv(ctx, &v); err == io.EOF {
				open = slices.DeleteFunc(open, func(x any) bool { return x == o })
				continue
			}
			sum += v[0] + v[1] + v[2]
		}
	}
	fmt.Println("sum", sum)
	ready, _ := ring.Wait(ctx, children[0])
	fmt.Println(len(ready), "child exited")
	// Output:
	// sum 18
	// 1 child exited
}

// dialer is a client that knows only the segment's and the listener's
// names: it opens the segment itself, connects and sends a greeting.
var dialer = process.Register("example.dialer", func(ctx context.Context, names [2]string) (struct{}, error) {
	seg, err := shm.Open(names[0])
	if err != nil {
		return struct{}{}, err
	}
	defer seg.Close()
	c, err := ring.Dial(ctx, seg, names[1])
	if err != nil {
		return struct{}{}, err
	}
	defer c.Close()
	return struct{}{}, c.Send(ctx, "hello")
})

// Python's Listener and Client over shared memory: a server listens by
// name in a named segment; a process that knows both names connects.
func ExampleListen() {
	ctx := context.Background()
	seg, err := shm.Create(fmt.Sprintf("example-listen-%d", os.Getpid()), 1<<20, nil)
	if err != nil {
		panic(err)
	}
	defer seg.Close()
	defer seg.Unlink()
	l, err := ring.Listen(seg, "greeter", nil)
	if err != nil {
		panic(err)
	}
	defer l.Close()
	p, err := process.Start(ctx, dialer, [2]string{seg.Name(), "greeter"})
	if err != nil {
		panic(err)
	}
	conn, err := l.Accept(ctx)
	if err != nil {
		panic(err)
	}
	defer conn.Close()
	var s string
	conn.Recv(ctx, &s)
	fmt.Println(s)
	fmt.Println(conn.Recv(ctx, &s)) // the client closed its end
	p.Join(ctx)
	// Output:
	// hello
	// EOF
}

// Dial connects to a listener as soon as its request is in the backlog:
// what it sends waits for Accept.
func ExampleDial() {
	ctx := context.Background()
	seg, err := shm.Anonymous(1<<20, nil)
	if err != nil {
		panic(err)
	}
	defer seg.Close()
	l, err := ring.Listen(seg, "echo", &ring.Options{Capacity: 4096})
	if err != nil {
		panic(err)
	}
	defer l.Close()
	c, err := ring.Dial(ctx, seg, "echo")
	if err != nil {
		panic(err)
	}
	c.SendBytes(ctx, []byte("before accept"))
	a, err := l.Accept(ctx)
	if err != nil {
		panic(err)
	}
	m, _ := a.RecvBytes(ctx)
	fmt.Println(string(m))
	a.SendBytes(ctx, []byte("reply"))
	m, _ = c.RecvBytes(ctx)
	fmt.Println(string(m))
	// Output:
	// before accept
	// reply
}
