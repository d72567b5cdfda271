package pool

import (
	"context"
	"errors"
	"sync/atomic"
	"testing"

	"github.com/shmkit/shmkit/internal/testutil"
)

type countSink struct {
	ctx  context.Context
	errs atomic.Int32
}

func (s *countSink) Deliver(_ int, _ []byte, err error) {
	if errors.Is(err, ErrTerminated) {
		s.errs.Add(1)
	}
}
func (s *countSink) Context() context.Context { return s.ctx }

// TestChunkQueuedAfterShutdownFails: a chunk that reaches the queue after
// the shutdown drained it (its Submit passed the closed check just
// before Terminate) is failed, not left for a job to wait on forever. The
// old Submit's select chose at random between the queue, which had room,
// and the pool's ended ctx.
func TestChunkQueuedAfterShutdownFails(t *testing.T) {
	ctx := testutil.Context(t)
	p, err := New(ctx, Options{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	p.Terminate()
	for i := range 32 {
		s := &countSink{ctx: ctx}
		err := p.enqueue(ctx, &chunk{id: uint64(1000 + i), task: "x", args: [][]byte{nil}, job: s})
		if err == nil && s.errs.Load() != 1 {
			t.Fatalf("chunk %d queued after the shutdown: %d of its 1 inputs failed, the rest left waiting", i, s.errs.Load())
		}
		if err != nil && !errors.Is(err, ErrTerminated) {
			t.Fatal(err)
		}
	}
}
