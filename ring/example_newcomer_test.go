package ring_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/shmkit/shmkit/process"
	"github.com/shmkit/shmkit/ring"
	"github.com/shmkit/shmkit/shm"
)

type produceArgs struct {
	Q    *ring.MPMC // travels to the child as a handle
	Name string
	N    int
}

var produce = process.Register("example.mpmc.produce", func(ctx context.Context, a produceArgs) (int, error) {
	for i := range a.N {
		if err := a.Q.Put(ctx, fmt.Appendf(nil, "%s-%d", a.Name, i)); err != nil {
			return i, err
		}
	}
	return a.N, nil
})

// The raw MPMC queue: messages of bytes from any number of producers to
// any number of consumers, in any processes, each message taken exactly
// once. Here two children produce and the parent consumes. Queue[T] is
// the same queue with values of a Go type.
func ExampleMPMC() {
	ctx := context.Background()
	seg, err := shm.Anonymous(1<<20, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer seg.Close()
	q, err := ring.NewMPMC(seg, "events", &ring.Options{Capacity: 64})
	if err != nil {
		log.Fatal(err)
	}

	var producers []*process.Process
	for _, name := range []string{"left", "right"} {
		p, err := process.Start(ctx, produce, produceArgs{Q: q, Name: name, N: 100})
		if err != nil {
			log.Fatal(err)
		}
		producers = append(producers, p)
	}
	counts := map[string]int{}
	buf := make([]byte, q.SlotPayload())
	for range 200 {
		n, err := q.Get(ctx, buf) // waits for a message: the producers run meanwhile
		if err != nil {
			log.Fatal(err)
		}
		name, _, _ := bytes.Cut(buf[:n], []byte("-"))
		counts[string(name)]++
	}
	for _, p := range producers {
		if err := p.Join(ctx); err != nil {
			log.Fatal(err)
		}
	}
	fmt.Println(counts)
	_, err = q.TryGet(buf)
	fmt.Println(errors.Is(err, ring.ErrEmpty))
	// Output:
	// map[left:100 right:100]
	// true
}
