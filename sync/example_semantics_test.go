package sync_test

import (
	"context"
	"fmt"
	"time"

	"github.com/shmkit/shmkit/shm"
	"github.com/shmkit/shmkit/sync"
)

// Python's Semaphore(0): a counter that starts empty, with no bound, as a
// signal from producers to a consumer.
func ExampleNewSemaphore() {
	seg, _ := shm.Anonymous(1<<16, nil)
	defer seg.Close()
	items, _ := sync.NewSemaphore(seg, "items", 0)
	fmt.Println(items.TryAcquire())
	items.Release()
	items.Release()
	fmt.Println(items.Value(), items.TryAcquire())
	// Output:
	// false
	// 2 true
}

// Python's Condition.notify(n): exactly n waiters wake.
func ExampleCond_Notify() {
	seg, _ := shm.Anonymous(1<<16, nil)
	defer seg.Close()
	c, _ := sync.NewCond(seg, "c")
	ctx := context.Background()
	woke := make(chan int, 3)
	for i := range 3 {
		go func() {
			c.Lock(ctx)
			c.Wait(ctx)
			c.Unlock()
			woke <- i
		}()
	}
	for c.Waiting() < 3 {
		time.Sleep(time.Millisecond)
	}
	c.Lock(ctx)
	fmt.Println("notified", c.Notify(2))
	c.Unlock()
	<-woke
	<-woke
	fmt.Println("still waiting", c.Waiting())
	c.Lock(ctx)
	c.Broadcast()
	c.Unlock()
	<-woke
	// Output:
	// notified 2
	// still waiting 1
}

// Python's Barrier(parties, action=..., timeout=...): the action runs once
// per generation, in the party that arrives last, before anyone goes on.
func ExampleBarrier_WithAction() {
	seg, _ := shm.Anonymous(1<<16, nil)
	defer seg.Close()
	b, _ := sync.NewBarrier(seg, "b", 2)
	b.WithAction(func() error { fmt.Println("all arrived"); return nil }).WithTimeout(10 * time.Second)
	ctx := context.Background()
	done := make(chan struct{})
	go func() { b.Wait(ctx); close(done) }()
	b.Wait(ctx)
	<-done
	fmt.Println("released")
	// Output:
	// all arrived
	// released
}

// Who holds an RLock, and how deep: visible from any process.
func ExampleRLock_Owner() {
	seg, _ := shm.Anonymous(1<<16, nil)
	defer seg.Close()
	r, _ := sync.NewRLock(seg, "r")
	ctx := context.Background()
	r.Lock(ctx)
	r.Lock(ctx)
	pid, depth := r.Owner()
	fmt.Println(pid > 0, depth)
	r.Unlock()
	r.Unlock()
	fmt.Println(r.Owner())
	// Output:
	// true 2
	// 0 0
}
