package manager_test

import (
	"context"
	"fmt"
	"net"

	"github.com/shmkit/shmkit/manager"
	"github.com/shmkit/shmkit/pool"
	"github.com/shmkit/shmkit/process"
)

type modifyArg struct {
	Dict  *manager.TypedDict[int]
	Key   string
	Value int
}

// modifyData is the seeds' modify_data(shared_dict, key, value).
var modifyData = process.Register("example.modifyData", func(ctx context.Context, a modifyArg) (struct{}, error) {
	return struct{}{}, a.Dict.Set(ctx, a.Key, a.Value)
})

// Five processes fill one dict, as in Python:
//
//	with Manager() as manager:
//	    shared_dict = manager.dict()
//	    processes = [Process(target=modify_data, args=(shared_dict, f"key_{i}", i)) for i in range(5)]
//	    ...
//	    print(f"Shared data: {dict(shared_dict)}")
func Example() {
	ctx := context.Background()
	m, err := manager.New(nil)
	if err != nil {
		panic(err)
	}
	defer m.Close()
	d, err := m.Dict("shared", nil)
	if err != nil {
		panic(err)
	}
	shared := manager.Typed[int](d, nil)
	var ps []*process.Process
	for i := range 5 {
		p, err := process.Start(ctx, modifyData, modifyArg{shared, fmt.Sprint("key_", i), i})
		if err != nil {
			panic(err)
		}
		ps = append(ps, p)
	}
	for _, p := range ps {
		if err := p.Join(ctx); err != nil {
			panic(err)
		}
	}
	data, err := shared.Snapshot(ctx)
	if err != nil {
		panic(err)
	}
	fmt.Println("Shared data:", data)
	// Output: Shared data: map[key_0:0 key_1:1 key_2:2 key_3:3 key_4:4]
}

var writer = process.Register("example.writer", func(ctx context.Context, l *manager.List) (struct{}, error) {
	for _, c := range "Python" {
		if _, err := l.Append(ctx, []byte(string(c))); err != nil {
			return struct{}{}, err
		}
	}
	return struct{}{}, nil
})

var reader = process.Register("example.reader", func(ctx context.Context, l *manager.List) ([]string, error) {
	n, err := l.Len(ctx)
	if err != nil {
		return nil, err
	}
	var read []string
	for i := range n {
		v, err := l.Get(ctx, i)
		if err != nil {
			return nil, err
		}
		read = append(read, "Read: "+string(v))
	}
	return read, nil
})

// A writer process and then a reader process share a List, as the seeds'
// writer and reader share a Manager().Queue() through a Pool.
func ExampleManager_List() {
	ctx := context.Background()
	m, err := manager.New(nil)
	if err != nil {
		panic(err)
	}
	defer m.Close()
	l, err := m.List("chars", nil)
	if err != nil {
		panic(err)
	}
	if _, err := process.Run(ctx, writer, l); err != nil {
		panic(err)
	}
	read, err := process.Run(ctx, reader, l)
	if err != nil {
		panic(err)
	}
	for _, r := range read {
		fmt.Println(r)
	}
	fmt.Println("Done")
	// Output:
	// Read: P
	// Read: y
	// Read: t
	// Read: h
	// Read: o
	// Read: n
	// Done
}

// A dict served over TCP to a client that knows the key.
func ExampleManager_Serve() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	m, err := manager.New(nil)
	if err != nil {
		panic(err)
	}
	defer m.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		panic(err)
	}
	key := []byte("a long random secret")
	go m.Serve(ctx, ln, key)

	c, err := manager.Dial(ctx, ln.Addr().String(), key)
	if err != nil {
		panic(err)
	}
	defer c.Close()
	d, err := c.Dict(ctx, "config", &manager.DictOptions{Entries: 100})
	if err != nil {
		panic(err)
	}
	d.Set(ctx, "mode", []byte("fast"))
	v, ok, err := d.Get(ctx, "mode")
	fmt.Println(string(v), ok, err)

	_, err = manager.Dial(ctx, ln.Addr().String(), []byte("wrong"))
	fmt.Println(err != nil)
	// Output:
	// fast true <nil>
	// true
}

// Fields of any gob-able type, as Python's Manager().Namespace().
func ExampleManager_Namespace() {
	ctx := context.Background()
	m, err := manager.New(nil)
	if err != nil {
		panic(err)
	}
	defer m.Close()
	ns, err := m.Namespace("settings")
	if err != nil {
		panic(err)
	}
	ns.Store(ctx, "x", 42)
	ns.Store(ctx, "name", "shmkit")
	var x int
	var name string
	ns.Load(ctx, "x", &x)
	ns.Load(ctx, "name", &name)
	fmt.Println(x, name)
	// Output: 42 shmkit
}

type queueArg struct {
	M *manager.Manager
}

var qwriter = process.Register("example.qwriter", func(ctx context.Context, a queueArg) (struct{}, error) {
	q, err := manager.Queue[string](a.M, "q", nil)
	if err != nil {
		return struct{}{}, err
	}
	for _, c := range "Python" {
		if err := q.Put(ctx, string(c)); err != nil {
			return struct{}{}, err
		}
	}
	return struct{}{}, nil
})

var qreader = process.Register("example.qreader", func(ctx context.Context, a queueArg) ([]string, error) {
	q, err := manager.Queue[string](a.M, "q", nil)
	if err != nil {
		return nil, err
	}
	var read []string
	for range q.Len() {
		v, err := q.Get(ctx)
		if err != nil {
			return nil, err
		}
		read = append(read, "Read: "+v)
	}
	return read, nil
})

// The seeds' Manager().Queue(): a writer process puts the letters of
// "Python", then a reader process gets as many as the queue holds. The
// children find the queue by name through the Manager they were sent.
func ExampleQueue() {
	ctx := context.Background()
	m, err := manager.New(nil)
	if err != nil {
		panic(err)
	}
	defer m.Close()
	if _, err := process.Run(ctx, qwriter, queueArg{m}); err != nil {
		panic(err)
	}
	read, err := process.Run(ctx, qreader, queueArg{m})
	if err != nil {
		panic(err)
	}
	for _, r := range read {
		fmt.Println(r)
	}
	fmt.Println("Done")
	// Output:
	// Read: P
	// Read: y
	// Read: t
	// Read: h
	// Read: o
	// Read: n
	// Done
}

// The seed verbatim: q = Manager().Queue(); pool = Pool();
// pool.apply(writer, (q,)); pool.apply(reader, (q,)); close; join.
func ExampleQueue_pool() {
	ctx := context.Background()
	m, err := manager.New(nil)
	if err != nil {
		panic(err)
	}
	defer m.Close()
	p, err := pool.New(ctx, pool.Options{Workers: 2})
	if err != nil {
		panic(err)
	}
	if _, err := pool.Apply(ctx, p, qwriter, queueArg{m}); err != nil {
		panic(err)
	}
	read, err := pool.Apply(ctx, p, qreader, queueArg{m})
	if err != nil {
		panic(err)
	}
	p.Close()
	p.Join(ctx)
	fmt.Println(len(read), read[0], read[5])
	// Output: 6 Read: P Read: n
}
