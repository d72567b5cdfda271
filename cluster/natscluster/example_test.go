package natscluster_test

import (
	"context"
	"fmt"
	"log"

	"github.com/shmkit/shmkit/cluster/natscluster"
	"github.com/shmkit/shmkit/cluster/natsserver"
	"github.com/shmkit/shmkit/pool"
	"github.com/shmkit/shmkit/process"
)

// cube is registered at package level, as every task is: each machine
// runs the same binary, and a worker finds the task by its name.
var cube = process.Register("natscluster_example.cube", func(ctx context.Context, x int) (int, error) {
	return x * x * x, nil
})

// The same Map as on the local pool, on workers that reach a NATS server:
// here one embedded in the process (in production, nats-server -js, and
// natscluster.Connect to it from every machine) and one worker goroutine
// (in production, Serve in the same binary on each machine).
func Example() {
	ctx := context.Background()
	srv, err := natsserver.Start(natsserver.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Shutdown()
	nc, js, err := natscluster.Connect(ctx, srv.URL())
	if err != nil {
		log.Fatal(err)
	}
	defer nc.Close()
	opts := natscluster.Options{Name: "example"}

	// A worker.
	wctx, stop := context.WithCancel(ctx)
	served := make(chan error, 1)
	go func() { served <- natscluster.Serve(wctx, js, opts) }()
	defer func() { stop(); <-served }()

	// The caller: the executor instead of pool.New, and nothing else changes.
	e, err := natscluster.NewExecutor(ctx, js, opts)
	if err != nil {
		log.Fatal(err)
	}
	defer e.Join(ctx)
	cubes, err := pool.Map(ctx, e, cube, []int{1, 2, 3, 4})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(cubes)
	// Output: [1 8 27 64]
}

// A Dict on a JetStream key-value bucket: manager.Dict's calls.
func ExampleDict() {
	ctx := context.Background()
	srv, err := natsserver.Start(natsserver.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Shutdown()
	nc, js, err := natscluster.Connect(ctx, srv.URL())
	if err != nil {
		log.Fatal(err)
	}
	defer nc.Close()

	d, err := natscluster.NewDict(ctx, js, "config", &natscluster.DictOptions{Storage: natscluster.Storage{Memory: true}})
	if err != nil {
		log.Fatal(err)
	}
	defer d.Close()
	d.Set(ctx, "mode", []byte("fast"))
	swapped, _ := d.CompareAndSwap(ctx, "mode", []byte("fast"), []byte("safe"))
	v, _, _ := d.Get(ctx, "mode")
	fmt.Println(swapped, string(v))
	// Output: true safe
}

// A Queue of a struct type, bounded, through the default codec.
func ExampleQueue() {
	ctx := context.Background()
	srv, err := natsserver.Start(natsserver.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Shutdown()
	nc, js, err := natscluster.Connect(ctx, srv.URL())
	if err != nil {
		log.Fatal(err)
	}
	defer nc.Close()

	type Job struct {
		ID   int
		Path string
	}
	q, err := natscluster.NewQueue[Job](ctx, js, "jobs", &natscluster.QueueOptions{Capacity: 100})
	if err != nil {
		log.Fatal(err)
	}
	defer q.Close()
	q.Put(ctx, Job{1, "/data/a"})
	q.Put(ctx, Job{2, "/data/b"})
	q.Shutdown(ctx, false) // no more puts; gets drain what is left
	for j, err := range q.All(ctx) {
		if err != nil {
			log.Fatal(err)
		}
		fmt.Println(j.ID, j.Path)
	}
	// Output:
	// 1 /data/a
	// 2 /data/b
}
