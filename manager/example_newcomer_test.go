package manager_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net"
	"os"
	"path/filepath"
	"sync"

	"github.com/shmkit/shmkit/manager"
)

// Dial reaches a manager served on a Unix socket ("unix:/path"), or on
// TCP ("host:port", see Manager.Serve); both sides prove they hold the
// key before any request. Python: BaseManager(address, authkey).connect().
func ExampleDial() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	m, err := manager.New(nil)
	if err != nil {
		log.Fatal(err)
	}
	defer m.Close()
	dir, err := os.MkdirTemp("", "shmkit-example-")
	if err != nil {
		log.Fatal(err)
	}
	defer os.RemoveAll(dir)
	sock := filepath.Join(dir, "manager.sock")
	ln, err := net.Listen("unix", sock)
	if err != nil {
		log.Fatal(err)
	}
	key := []byte("a long random secret")
	go m.Serve(ctx, ln, key) // until ctx ends

	c, err := manager.Dial(ctx, "unix:"+sock, key)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	d, err := c.Dict(ctx, "config", &manager.DictOptions{Entries: 100}) // created there if missing
	if err != nil {
		log.Fatal(err)
	}
	if err := d.Set(ctx, "mode", []byte("fast")); err != nil {
		log.Fatal(err)
	}
	v, ok, err := d.Get(ctx, "mode")
	fmt.Println(string(v), ok, err)

	_, err = manager.Dial(ctx, "unix:"+sock, []byte("a wrong key"))
	fmt.Println(errors.Is(err, manager.ErrAuth))
	// Output:
	// fast true <nil>
	// true
}

// One Client serves many goroutines: their requests go out back to back
// on one connection and the replies come back in order (pipelining), so
// eight goroutines need no eight connections.
func ExampleClient() {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	m, err := manager.New(nil)
	if err != nil {
		log.Fatal(err)
	}
	defer m.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	key := []byte("a long random secret")
	go m.Serve(ctx, ln, key)

	c, err := manager.Dial(ctx, ln.Addr().String(), key)
	if err != nil {
		log.Fatal(err)
	}
	defer c.Close()
	counts, err := c.Dict(ctx, "counts", &manager.DictOptions{Entries: 1000})
	if err != nil {
		log.Fatal(err)
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 25 {
				if err := counts.Set(ctx, fmt.Sprintf("g%d-%d", g, i), []byte{1}); err != nil {
					log.Print(err)
				}
			}
		})
	}
	wg.Wait()
	n, err := counts.Len(ctx)
	fmt.Println(n, err)
	// Output: 200 <nil>
}

type point struct{ X, Y float64 }

// Typed turns a dict of bytes (local, as here, or remote) into a dict of
// Go values through a codec: codec.Default when nil (raw bytes for plain
// structs of numbers, as point; gob for anything else gob carries).
func ExampleTyped() {
	ctx := context.Background()
	m, err := manager.New(nil)
	if err != nil {
		log.Fatal(err)
	}
	defer m.Close()
	d, err := m.Dict("points", nil)
	if err != nil {
		log.Fatal(err)
	}
	points := manager.Typed[point](d, nil)
	if err := points.Set(ctx, "origin", point{}); err != nil {
		log.Fatal(err)
	}
	if err := points.Set(ctx, "corner", point{3, 4}); err != nil {
		log.Fatal(err)
	}
	p, ok, err := points.Get(ctx, "corner")
	fmt.Println(p, ok, err)
	all, err := points.Snapshot(ctx)
	fmt.Println(all, err)
	// Output:
	// {3 4} true <nil>
	// map[corner:{3 4} origin:{0 0}] <nil>
}
