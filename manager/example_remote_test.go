package manager_test

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"

	"github.com/shmkit/shmkit/manager"
	"github.com/shmkit/shmkit/manager/remote"
	"github.com/shmkit/shmkit/process"
	"github.com/shmkit/shmkit/ring"
)

type remoteArg struct {
	Addr string
	Key  []byte
}

// remotePutter connects to the manager server with the key and puts.
var remotePutter = process.Register("example.remotePutter", func(ctx context.Context, a remoteArg) (struct{}, error) {
	c, err := manager.Dial(ctx, a.Addr, a.Key)
	if err != nil {
		return struct{}{}, err
	}
	defer c.Close()
	q, err := manager.OpenRemoteQueue[string](ctx, c, "get_queue", nil)
	if err != nil {
		return struct{}{}, err
	}
	return struct{}{}, q.Put(ctx, "hello world")
})

// serve runs s on a fresh local port until the returned stop is called.
func serve(s *manager.Server) (addr string, stop func()) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Add(1)
	go func() { defer wg.Done(); s.Serve(ctx, ln) }()
	return ln.Addr().String(), func() { cancel(); wg.Wait() }
}

// CPython's QueueManager (test_remote): a queue served over TCP with an
// authentication key; another process connects and puts, this one gets.
// The served queue is the manager's own MPMC queue, so a process on the
// server's machine uses it in place.
//
//	QueueManager.register('get_queue', callable=lambda: queue)
//	m = QueueManager(address=('', 50000), authkey=key); m.start()
//	m.get_queue().get()
func ExampleOpenRemoteQueue() {
	ctx := context.Background()
	m, err := manager.New(nil)
	if err != nil {
		panic(err)
	}
	defer m.Close()
	key := []byte("a long random secret")
	addr, stop := serve(&manager.Server{Manager: m, AuthKey: key})
	defer stop()

	c, err := manager.Dial(ctx, addr, key)
	if err != nil {
		panic(err)
	}
	defer c.Close()
	q, err := manager.OpenRemoteQueue[string](ctx, c, "get_queue", &manager.RemoteQueueOptions{Capacity: 8})
	if err != nil {
		panic(err)
	}
	if _, err := process.Run(ctx, remotePutter, remoteArg{addr, key}); err != nil {
		panic(err)
	}
	v, err := q.Get(ctx)
	fmt.Println(v, err)

	local, _ := manager.Queue[string](m, "get_queue", nil)
	local.Put(ctx, "from the server's machine")
	v, _ = q.Get(ctx)
	_, err = q.TryGet(ctx)
	fmt.Println(v, errors.Is(err, ring.ErrEmpty))
	// Output:
	// hello world <nil>
	// from the server's machine true
}

// counter is a user's type, served with the methods it exposes.
type counter struct {
	mu sync.Mutex
	n  int
}

// CPython's BaseManager.register(typeid, callable, exposed=...): a type
// the server makes objects of, and the only methods a client may call on
// them, by name, with codec-encoded arguments.
//
//	MyManager.register('Counter', Counter, exposed=('add',))
//	c = m.Counter(); c.add(5)
func ExampleServer_Register() {
	ctx := context.Background()
	m, err := manager.New(nil)
	if err != nil {
		panic(err)
	}
	defer m.Close()
	key := []byte("a long random secret")
	s := &manager.Server{Manager: m, AuthKey: key}
	add := remote.Expose("add", func(_ context.Context, c *counter, n int) (int, error) {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.n += n
		return c.n, nil
	})
	if err := s.Register("Counter", func() (any, error) { return &counter{}, nil }, add); err != nil {
		panic(err)
	}
	addr, stop := serve(s)
	defer stop()

	c, err := manager.Dial(ctx, addr, key)
	if err != nil {
		panic(err)
	}
	defer c.Close()
	obj, err := c.Create(ctx, "Counter")
	if err != nil {
		panic(err)
	}
	remote.Call[int, int](ctx, obj, "add", 5)
	n, err := remote.Call[int, int](ctx, obj, "add", 2)
	fmt.Println(n, err)
	_, err = remote.Call[int, int](ctx, obj, "reset", 0)
	fmt.Println(err != nil)
	// Output:
	// 7 <nil>
	// true
}
