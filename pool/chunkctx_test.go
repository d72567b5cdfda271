package pool

import (
	"context"
	"errors"
	"testing"
	"time"
)

// TestChunkCtx: the lazy context of a chunk's items behaves as the
// WithCancelCause-under-WithDeadline it stands for.
func TestChunkCtx(t *testing.T) {
	worker, stop := context.WithCancel(context.Background())
	defer stop()

	c := newChunkCtx(worker, time.Now().Add(time.Hour).UnixNano())
	if err := c.Err(); err != nil || c.made() != nil {
		t.Fatalf("fresh: %v, made %v", err, c.made() != nil)
	}
	if d, ok := c.Deadline(); !ok || time.Until(d) < 59*time.Minute {
		t.Fatalf("deadline %v %v", d, ok)
	}
	child, cancel := context.WithCancel(c)
	defer cancel()
	c.end(context.Canceled) // a cancel record
	select {
	case <-child.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("a child did not end with the chunk's ctx")
	}
	if !errors.Is(c.Err(), context.Canceled) || !errors.Is(causeOf(c), context.Canceled) {
		t.Fatalf("after a cancel record: %v, cause %v", c.Err(), causeOf(c))
	}
	c.release()

	// Cancelled before anyone looked: Err and Cause say so, Done agrees.
	c = newChunkCtx(worker, 0)
	c.end(context.Canceled)
	if !errors.Is(c.Err(), context.Canceled) || !errors.Is(causeOf(c), context.Canceled) {
		t.Fatalf("cancelled unseen: %v, cause %v", c.Err(), causeOf(c))
	}
	select {
	case <-c.Done():
	default:
		t.Fatal("Err is set but Done is open")
	}
	c.release()

	// Past the job's deadline, never waited on.
	c = newChunkCtx(worker, time.Now().Add(time.Millisecond).UnixNano())
	time.Sleep(5 * time.Millisecond)
	if !errors.Is(c.Err(), context.DeadlineExceeded) || !errors.Is(causeOf(c), context.DeadlineExceeded) {
		t.Fatalf("past the deadline: %v, cause %v", c.Err(), causeOf(c))
	}
	c.release()

	// The worker's ctx ends.
	c = newChunkCtx(worker, 0)
	defer c.release()
	if _, ok := c.Deadline(); ok {
		t.Fatal("a deadline without one")
	}
	stop()
	if !errors.Is(c.Err(), context.Canceled) {
		t.Fatalf("after the worker's ctx: %v", c.Err())
	}
}
