package ring_test

// Go counterparts of the Python multiprocessing tutorials our users come
// from (see docs/from-python.md). Each example names the Python it mirrors.

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/shmkit/shmkit/process"
	"github.com/shmkit/shmkit/ring"
	"github.com/shmkit/shmkit/shm"
)

// Tasks for the seed examples, registered at package level.
var (
	// Python: def read(q): while True: value = q.get(True); print(...)
	readForever = process.Register("seeds.readforever", func(ctx context.Context, a readArg) (struct{}, error) {
		for {
			v, err := a.Q.Get(ctx)
			if err != nil {
				return struct{}{}, err
			}
			fmt.Printf("Get %s from queue.\n", v)
			if err := a.Acks.Put(ctx, v); err != nil { // tell the parent it was printed
				return struct{}{}, err
			}
		}
	})
	// Python: def data_producer(queue): queue.put('Data item')
	dataProducer = process.Register("seeds.dataproducer", func(ctx context.Context, q *ring.Queue[string]) (struct{}, error) {
		return struct{}{}, q.Put(ctx, "Data item")
	})
	// Python: def data_consumer(queue): item = queue.get(); print(f"Received: {item}")
	dataConsumer = process.Register("seeds.dataconsumer", func(ctx context.Context, q *ring.Queue[string]) (struct{}, error) {
		item, err := q.Get(ctx)
		fmt.Println("Received:", item)
		return struct{}{}, err
	})
	// Python: def consumer(q): while not q.empty(): value = q.get(True); print(...)
	drainConsumer = process.Register("seeds.drainconsumer", func(ctx context.Context, q *ring.Queue[string]) (struct{}, error) {
		for !q.Empty() {
			v, err := q.Get(ctx)
			if err != nil {
				return struct{}{}, err
			}
			fmt.Println("Consumed:", v)
		}
		return struct{}{}, nil
	})
	// Python: def send_data(pipe): pipe.send('Message from sender')
	sendData = process.Register("seeds.senddata", func(ctx context.Context, c *ring.Conn) (struct{}, error) {
		return struct{}{}, c.Send(ctx, "Message from sender")
	})
	// Python: def receive_data(pipe): message = pipe.recv(); print(f"Received: {message}")
	receiveData = process.Register("seeds.receivedata", func(ctx context.Context, c *ring.Conn) (struct{}, error) {
		var message string
		err := c.Recv(ctx, &message)
		fmt.Println("Received:", message)
		return struct{}{}, err
	})
	// Python: def worker(id, baseNum, conn): counts to baseNum, sends the total.
	countToPipe = process.Register("seeds.counttopipe", func(ctx context.Context, a countArg) (struct{}, error) {
		subTotal := 0
		for range a.BaseNum {
			subTotal++
		}
		fmt.Printf("Process Name: %s\n", process.Current().Name)
		fmt.Printf("Result: %d\n", subTotal)
		return struct{}{}, a.Conn.Send(ctx, subTotal)
	})
	// Python: def worker(id, baseNum, q): counts to baseNum, puts the total.
	countToQueue = process.Register("seeds.counttoqueue", func(ctx context.Context, a countArg) (struct{}, error) {
		subTotal := 0
		for range a.BaseNum {
			subTotal++
		}
		return struct{}{}, a.Q.Put(ctx, subTotal)
	})
)

type readArg struct {
	Q, Acks *ring.Queue[string]
}

type countArg struct {
	BaseNum int
	Conn    *ring.Conn       // for the Pipe version
	Q       *ring.Queue[int] // for the Queue version
}

// Two children share a queue: one writes A, B, C; the other reads forever
// and is terminated, as in Python:
//
//	q = Queue()
//	pw = Process(target=write, args=(q,))
//	pr = Process(target=read, args=(q,))
//	pw.start(); pr.start()
//	pw.join()
//	pr.terminate()  # pr loops forever
//
// The reader acknowledges each value on a second queue, so the parent
// terminates it only once all three were printed.
func Example_terminateReader() {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	seg, err := shm.Anonymous(1<<20, nil)
	if err != nil {
		panic(err)
	}
	defer seg.Close()
	q, err := ring.NewQueue[string](seg, "q", nil)
	if err != nil {
		panic(err)
	}
	acks, err := ring.NewQueue[string](seg, "acks", nil)
	if err != nil {
		panic(err)
	}
	pw, err := process.Start(ctx, writer, q) // puts A, B, C
	if err != nil {
		panic(err)
	}
	pr, err := process.Start(ctx, readForever, readArg{q, acks})
	if err != nil {
		panic(err)
	}
	if err := pw.Join(ctx); err != nil {
		panic(err)
	}
	for range 3 {
		if _, err := acks.Get(ctx); err != nil {
			panic(err)
		}
	}
	pr.Terminate()
	pr.Join(ctx)
	code, _ := pr.ExitCode()
	fmt.Println("reader terminated, exit code", code)
	// Output:
	// Get A from queue.
	// Get B from queue.
	// Get C from queue.
	// reader terminated, exit code -15
}

// A producer and a consumer process share a queue, both started at once:
//
//	communication_queue = Queue()
//	producer = Process(target=data_producer, args=(communication_queue,))
//	consumer = Process(target=data_consumer, args=(communication_queue,))
//	producer.start(); consumer.start()
//	producer.join(); consumer.join()
func Example_producerConsumer() {
	ctx := context.Background()
	seg, err := shm.Anonymous(1<<20, nil)
	if err != nil {
		panic(err)
	}
	defer seg.Close()
	q, err := ring.NewQueue[string](seg, "communication_queue", nil)
	if err != nil {
		panic(err)
	}
	producer, err := process.Start(ctx, dataProducer, q)
	if err != nil {
		panic(err)
	}
	consumer, err := process.Start(ctx, dataConsumer, q)
	if err != nil {
		panic(err)
	}
	fmt.Println(producer.Join(ctx), consumer.Join(ctx))
	// Output:
	// Received: Data item
	// <nil> <nil>
}

// The producer runs to the end, then a consumer drains the queue while it
// is not empty:
//
//	producer_process.start(); producer_process.join()
//	consumer_process.start(); consumer_process.join()
//	print('All data produced and consumed')
func ExampleQueue_Empty() {
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
	if _, err := process.Run(ctx, writer, q); err != nil { // puts A, B, C
		panic(err)
	}
	if _, err := process.Run(ctx, drainConsumer, q); err != nil {
		panic(err)
	}
	fmt.Println("All data produced and consumed")
	// Output:
	// Consumed: A
	// Consumed: B
	// Consumed: C
	// All data produced and consumed
}

// A bounded queue's full, timed put, put_nowait, qsize and get_nowait:
//
//	q = Queue(3)
//	q.put("Message 1"); q.put("Message 2"); print(q.full())
//	q.put("Message 3"); print(q.full())
//	q.put("Message 4", True, 2)   # times out
//	q.put_nowait("Message 4")     # raises Full
//	for _ in range(q.qsize()): print(q.get_nowait())
//
// The queue holds exactly 3, as Python's does.
func ExampleQueue_TryPut() {
	seg, err := shm.Anonymous(1<<20, nil)
	if err != nil {
		panic(err)
	}
	defer seg.Close()
	q, err := ring.NewQueue[string](seg, "q", &ring.Options{Capacity: 3})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	for i := 1; i <= q.Cap(); i++ {
		q.Put(ctx, fmt.Sprint("Message ", i))
		fmt.Println(q.Full())
	}
	// Blocking put with a timeout.
	tctx, cancel := context.WithTimeout(ctx, 20*time.Millisecond)
	err = q.Put(tctx, "Message 4")
	cancel()
	fmt.Println("timed out:", errors.Is(err, context.DeadlineExceeded), "size:", q.Len())
	// Non-blocking put.
	err = q.TryPut("Message 4")
	fmt.Println("full:", errors.Is(err, ring.ErrFull), "size:", q.Len())
	for !q.Empty() {
		v, _ := q.TryGet()
		fmt.Println(v)
	}
	// Output:
	// false
	// false
	// true
	// timed out: true size: 3
	// full: true size: 3
	// Message 1
	// Message 2
	// Message 3
}

// Two children talk over a pipe, one sending, one receiving:
//
//	receiver_conn, sender_conn = Pipe()
//	sender = Process(target=send_data, args=(sender_conn,))
//	receiver = Process(target=receive_data, args=(receiver_conn,))
//	sender.start(); receiver.start()
//	sender.join(); receiver.join()
func ExampleNewPipe_twoChildren() {
	ctx := context.Background()
	seg, err := shm.Anonymous(4<<20, nil)
	if err != nil {
		panic(err)
	}
	defer seg.Close()
	receiverConn, senderConn, err := ring.NewPipe(seg, "pipe", false, nil) // simplex: c1 receives, c2 sends
	if err != nil {
		panic(err)
	}
	sender, err := process.Start(ctx, sendData, senderConn)
	if err != nil {
		panic(err)
	}
	receiver, err := process.Start(ctx, receiveData, receiverConn)
	if err != nil {
		panic(err)
	}
	fmt.Println(sender.Join(ctx), receiver.Join(ctx))
	// Output:
	// Received: Message from sender
	// <nil> <nil>
}

// A named child counts and sends its total to the parent over a pipe:
//
//	parent_conn, child_conn = Pipe()
//	t = Process(name=str(1), target=worker, args=(1, 1000000, child_conn))
//	...
//	print('Main-processing total count: {}'.format(parent_conn.recv()))
func ExampleNewPipe_count() {
	ctx := context.Background()
	seg, err := shm.Anonymous(4<<20, nil)
	if err != nil {
		panic(err)
	}
	defer seg.Close()
	parentConn, childConn, err := ring.NewPipe(seg, "pipe", true, nil)
	if err != nil {
		panic(err)
	}
	t, err := process.Start(ctx, countToPipe, countArg{BaseNum: 1000000, Conn: childConn}, process.WithName("1"))
	if err != nil {
		panic(err)
	}
	var total int
	if err := parentConn.Recv(ctx, &total); err != nil {
		panic(err)
	}
	if err := t.Join(ctx); err != nil {
		panic(err)
	}
	fmt.Println("Main-processing total count:", total)
	fmt.Println("Main-processing done.")
	// Output:
	// Process Name: 1
	// Result: 1000000
	// Main-processing total count: 1000000
	// Main-processing done.
}

// Five named children count and put their totals in one queue; the parent
// sums them:
//
//	q = Queue()
//	for i in range(5):
//	    t = Process(name=str(i), target=worker, args=(i, 1000000, q))
//	...
//	print('Main-processing total count: {}'.format(total))
//
// The parent gets exactly five values, so no 'exit' sentinel is needed.
func ExampleQueue_fiveWorkers() {
	ctx := context.Background()
	seg, err := shm.Anonymous(1<<20, nil)
	if err != nil {
		panic(err)
	}
	defer seg.Close()
	q, err := ring.NewQueue[int](seg, "q", nil)
	if err != nil {
		panic(err)
	}
	var workers []*process.Process
	for i := range 5 {
		t, err := process.Start(ctx, countToQueue, countArg{BaseNum: 1000000, Q: q}, process.WithName(fmt.Sprint(i)))
		if err != nil {
			panic(err)
		}
		workers = append(workers, t)
	}
	total := 0
	for range workers {
		n, err := q.Get(ctx)
		if err != nil {
			panic(err)
		}
		total += n
	}
	for _, t := range workers {
		if err := t.Join(ctx); err != nil {
			panic(err)
		}
	}
	fmt.Println("Main-processing total count:", total)
	fmt.Println("Main-processing done.")
	// Output:
	// Main-processing total count: 5000000
	// Main-processing done.
}
