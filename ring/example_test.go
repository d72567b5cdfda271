package ring_test

import (
	"context"
	"fmt"
	"io"
	"strings"

	"github.com/shmkit/shmkit/pool"
	"github.com/shmkit/shmkit/process"
	"github.com/shmkit/shmkit/ring"
	"github.com/shmkit/shmkit/shm"
)

// Tasks the examples run in child processes. A *ring.Queue, *ring.Conn or
// *ring.Ring argument travels as a handle.
var (
	// writer puts A, B, C in the queue (the seeds' Queue producer).
	writer = process.Register("example.writer", func(ctx context.Context, q *ring.Queue[string]) (struct{}, error) {
		for _, v := range []string{"A", "B", "C"} {
			if err := q.Put(ctx, v); err != nil {
				return struct{}{}, err
			}
		}
		return struct{}{}, nil
	})
	// sender sends a list down a pipe and closes its end (the seeds' Pipe).
	sender = process.Register("example.sender", func(ctx context.Context, c *ring.Conn) (struct{}, error) {
		defer c.Close()
		return struct{}{}, c.Send(ctx, []int{1, 2, 3})
	})
	// charWriter puts each character of a word (the seeds' Queue in a Pool).
	charWriter = process.Register("example.charwriter", func(ctx context.Context, a wordArg) (struct{}, error) {
		for _, c := range a.Word {
			if err := a.Q.Put(ctx, string(c)); err != nil {
				return struct{}{}, err
			}
		}
		return struct{}{}, nil
	})
	// charReader gets n characters back.
	charReader = process.Register("example.charreader", func(ctx context.Context, a wordArg) (string, error) {
		var b strings.Builder
		for range len(a.Word) {
			c, err := a.Q.Get(ctx)
			if err != nil {
				return "", err
			}
			b.WriteString(c)
		}
		return b.String(), nil
	})
)

type wordArg struct {
	Q    *ring.Queue[string]
	Word string
}

// A producer process puts values in a queue; this process reads them: the
// seeds' multiprocessing.Queue producer/consumer.
func ExampleQueue() {
	ctx := context.Background()
	seg, err := shm.Anonymous(1<<20, nil)
	if err != nil {
		panic(err)
	}
	defer seg.Close()
	q, err := ring.NewQueue[string](seg, "q", nil)
	if err != nil {
		panic(err)
	}
	if _, err := process.Run(ctx, writer, q); err != nil {
		panic(err)
	}
	q.Close() // the writer is done: Get drains, then io.EOF
	for {
		v, err := q.Get(ctx)
		if err == io.EOF {
			break
		}
		fmt.Printf("Get %s from queue.\n", v)
	}
	// Output:
	// Get A from queue.
	// Get B from queue.
	// Get C from queue.
}

// A child sends a value down a pipe; the parent receives it: the seeds'
// multiprocessing.Pipe. As in Python, the parent closes its copy of the
// child's end once the child has it: the pipe ends (io.EOF) when every
// process holding that end has closed it.
func ExampleNewPipe() {
	ctx := context.Background()
	seg, err := shm.Anonymous(4<<20, nil)
	if err != nil {
		panic(err)
	}
	defer seg.Close()
	parent, child, err := ring.NewPipe(seg, "pipe", true, nil)
	if err != nil {
		panic(err)
	}
	p, err := process.Start(ctx, sender, child)
	if err != nil {
		panic(err)
	}
	child.Close() // the child holds its end now
	var v []int
	if err := parent.Recv(ctx, &v); err != nil {
		panic(err)
	}
	fmt.Println(v)
	if err := parent.Recv(ctx, &v); err == io.EOF {
		fmt.Println("child closed its end")
	}
	p.Join(ctx)
	// Output:
	// [1 2 3]
	// child closed its end
}

// Pool workers share a queue: one task writes into it, another reads
// from it (the seeds' Manager().Queue() in a Pool, without the manager).
func ExampleQueue_pool() {
	ctx := context.Background()
	seg, err := shm.Anonymous(1<<20, nil)
	if err != nil {
		panic(err)
	}
	defer seg.Close()
	q, err := ring.NewQueue[string](seg, "chars", nil)
	if err != nil {
		panic(err)
	}
	p, err := pool.New(ctx, pool.Options{Workers: 2})
	if err != nil {
		panic(err)
	}
	defer func() { p.Close(); p.Join(ctx) }() // workers gone before returning
	if _, err := pool.Apply(ctx, p, charWriter, wordArg{q, "Python"}); err != nil {
		panic(err)
	}
	got, err := pool.Apply(ctx, p, charReader, wordArg{q, "Python"})
	if err != nil {
		panic(err)
	}
	for _, c := range got {
		fmt.Printf("Read: %c\n", c)
	}
	// Output:
	// Read: P
	// Read: y
	// Read: t
	// Read: h
	// Read: o
	// Read: n
}

// A zero-copy SPSC ring: reserve room, fill it, commit; peek, use,
// release. Many records may be committed (or released) with one store.
func ExampleRing() {
	ctx := context.Background()
	seg, err := shm.Anonymous(1<<20, nil)
	if err != nil {
		panic(err)
	}
	defer seg.Close()
	r, err := ring.NewRing(seg, "r", &ring.Options{Capacity: 4096})
	if err != nil {
		panic(err)
	}
	for _, s := range []string{"one", "two", "three"} {
		b, err := r.Reserve(ctx, len(s))
		if err != nil {
			panic(err)
		}
		copy(b, s)
	}
	r.Commit() // publishes all three with one store
	r.Close()
	for {
		rec, err := r.Peek(ctx)
		if err == io.EOF {
			break
		}
		fmt.Println(string(rec))
	}
	r.Release()
	fmt.Printf("%+v\n", r.Stats())
	// Output:
	// one
	// two
	// three
	// {In:3 Out:3 BytesIn:11 BytesOut:11 FullWaits:0 EmptyWaits:0 Sleeps:0 Wakes:0 DeadSkipped:0 Len:0 Cap:4096 Closed:true}
}

// A JoinableQueue: the producer waits until every item was processed.
func ExampleJoinableQueue() {
	ctx := context.Background()
	seg, err := shm.Anonymous(1<<20, nil)
	if err != nil {
		panic(err)
	}
	defer seg.Close()
	q, err := ring.NewJoinableQueue[int](seg, "jobs", nil)
	if err != nil {
		panic(err)
	}
	for i := range 3 {
		q.Put(ctx, i*i)
	}
	worker := make(chan struct{})
	go func() {
		defer close(worker)
		for {
			v, err := q.Get(ctx)
			if err != nil {
				return // io.EOF after Close
			}
			fmt.Println("done", v)
			q.TaskDone()
		}
	}()
	q.Join(ctx)
	fmt.Println("all done")
	q.Close()
	<-worker // before the segment is unmapped
	// Output:
	// done 0
	// done 1
	// done 4
	// all done
}
