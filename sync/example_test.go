package sync_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/shmkit/shmkit/process"
	"github.com/shmkit/shmkit/shm"
	"github.com/shmkit/shmkit/sync"
)

// lockAndExit takes the lock and exits without unlocking: a crash, as far
// as the lock can tell.
var lockAndExit = process.Register("sync.example.lockandexit", func(ctx context.Context, m *sync.Mutex) (struct{}, error) {
	return struct{}{}, m.Lock(ctx)
})

// A child dies holding the lock. Python's Lock would hang its next user
// forever; a robust Mutex hands the lock over, with ErrOwnerDead saying
// the state it protects must be checked.
func ExampleMutex_ownerDead() {
	seg, err := shm.Anonymous(1<<16, nil)
	if err != nil {
		panic(err)
	}
	defer seg.Close()
	m, err := sync.NewMutex(seg, "lock")
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	if _, err := process.Run(ctx, lockAndExit, m); err != nil {
		panic(err)
	}
	err = m.Lock(ctx)
	fmt.Println(errors.Is(err, sync.ErrOwnerDead))
	// ... repair the protected state, then:
	m.MarkConsistent()
	fmt.Println(m.Unlock())
	// Output:
	// true
	// <nil>
}

func ExampleMutex() {
	seg, _ := shm.Anonymous(1<<16, nil)
	defer seg.Close()
	m, err := sync.NewMutex(seg, "lock")
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	if err := m.Lock(ctx); err != nil {
		panic(err)
	}
	fmt.Println(m.State() != "unlocked")
	m.Unlock()
	fmt.Println(m.State())
	// Output:
	// true
	// unlocked
}

func ExampleSemaphore() {
	seg, _ := shm.Anonymous(1<<16, nil)
	defer seg.Close()
	s, _ := sync.NewBoundedSemaphore(seg, "slots", 2) // BoundedSemaphore(2)
	ctx := context.Background()
	s.Acquire(ctx)
	s.Acquire(ctx)
	fmt.Println(s.TryAcquire())
	s.Release()
	s.Release()
	fmt.Println(errors.Is(s.Release(), sync.ErrOverflow))
	// Output:
	// false
	// true
}

var waitForEvent = process.Register("sync.example.event", func(ctx context.Context, ev *sync.Event) (string, error) {
	if err := ev.Wait(ctx); err != nil {
		return "", err
	}
	return "started", nil
})

func ExampleEvent() {
	seg, _ := shm.Anonymous(1<<16, nil)
	defer seg.Close()
	ev, _ := sync.NewEvent(seg, "go")
	ctx := context.Background()
	p, err := process.Start(ctx, waitForEvent, ev)
	if err != nil {
		panic(err)
	}
	ev.Set()
	fmt.Println(p.Join(ctx), ev.IsSet())
	// Output: <nil> true
}

var party = process.Register("sync.example.party", func(ctx context.Context, b *sync.Barrier) (struct{}, error) {
	_, err := b.Wait(ctx)
	return struct{}{}, err
})

func ExampleBarrier() {
	seg, _ := shm.Anonymous(1<<16, nil)
	defer seg.Close()
	b, _ := sync.NewBarrier(seg, "b", 3)
	ctx := context.Background()
	var ps []*process.Process
	for range 2 {
		p, err := process.Start(ctx, party, b)
		if err != nil {
			panic(err)
		}
		ps = append(ps, p)
	}
	_, err := b.Wait(ctx) // the third party: all three pass together
	fmt.Println(err)
	for _, p := range ps {
		fmt.Println(p.Join(ctx))
	}
	// Output:
	// <nil>
	// <nil>
	// <nil>
}

func ExampleCond() {
	seg, _ := shm.Anonymous(1<<16, nil)
	defer seg.Close()
	c, _ := sync.NewCond(seg, "ready")
	flag, _ := seg.Alloc("flag", 8, 8) // state protected by c's lock
	ctx := context.Background()
	done := make(chan struct{})
	go func() {
		c.Lock(ctx)
		flag.Bytes()[0] = 1
		c.Broadcast()
		c.Unlock()
		close(done)
	}()
	c.Lock(ctx)
	c.WaitFor(ctx, func() bool { return flag.Bytes()[0] != 0 })
	c.Unlock()
	<-done
	fmt.Println("ready")
	// Output: ready
}

func ExampleRWMutex() {
	seg, _ := shm.Anonymous(1<<16, nil)
	defer seg.Close()
	rw, _ := sync.NewRWMutex(seg, "config")
	ctx := context.Background()
	rw.RLock(ctx)
	rw.RLock(ctx) // readers share
	rw.RUnlock()
	rw.RUnlock()
	rw.Lock(ctx) // one writer
	fmt.Println(rw.Unlock())
	// Output: <nil>
}

func ExampleRLock() {
	seg, _ := shm.Anonymous(1<<16, nil)
	defer seg.Close()
	r, _ := sync.NewRLock(seg, "r")
	ctx := context.Background()
	var visit func(depth int)
	visit = func(depth int) { // recursive code re-enters through one handle
		r.Lock(ctx)
		defer r.Unlock()
		if depth < 3 {
			visit(depth + 1)
		} else {
			fmt.Println("depth", r.Depth())
		}
	}
	visit(1)
	fmt.Println("depth", r.Depth())
	// Output:
	// depth 3
	// depth 0
}
