package ring

import (
	"context"
	"fmt"
	"time"

	"github.com/shmkit/shmkit/shm"
)

// JoinableQueue is a Queue that counts unfinished tasks, like Python's
// multiprocessing.JoinableQueue: every Put adds one, every TaskDone takes
// one away, and Join waits until none is left. The count is a word in
// shared memory; it is not repaired after a crash (a consumer killed
// between Get and TaskDone leaves it one too high, and Join then waits for
// its context).
type JoinableQueue[T any] struct {
	*Queue[T]
}

// NewJoinableQueue allocates a joinable queue of T called name in seg.
func NewJoinableQueue[T any](seg *shm.Segment, name string, opts *Options) (*JoinableQueue[T], error) {
	q, err := newMPMC(seg, name, opts, flagJoinable, sigOf[T](), nil)
	if err != nil {
		return nil, err
	}
	return &JoinableQueue[T]{QueueOf[T](q)}, nil
}

// OpenJoinableQueue finds the joinable queue called name in seg; one made
// for another element type (or not joinable) is shm.ErrWrongKind.
func OpenJoinableQueue[T any](seg *shm.Segment, name string) (*JoinableQueue[T], error) {
	q, err := OpenQueue[T](seg, name)
	if err != nil {
		return nil, err
	}
	return joinable(q)
}

func joinable[T any](q *Queue[T]) (*JoinableQueue[T], error) {
	if q.q.h.flags&flagJoinable == 0 {
		return nil, fmt.Errorf("queue %q is not joinable: %w", q.q.obj.Name(), shm.ErrWrongKind)
	}
	return &JoinableQueue[T]{q}, nil
}

// TaskDone marks one value taken by Get as processed. Calling it more
// often than values were put is ErrTaskDone.
func (q *JoinableQueue[T]) TaskDone() error {
	if !q.q.taskDone(true) {
		return q.q.errs.errorf("%w", ErrTaskDone)
	}
	return nil
}

// taskDone takes one from the unfinished count, and wakes Join when it
// reaches 0. At 0 already it reports false (and changes nothing). wake
// false: the caller wakes every line itself (Shutdown).
func (q *MPMC) taskDone(wake bool) bool {
	h := q.h
	for {
		v := h.unfinished.Load()
		if v <= 0 {
			return false
		}
		if h.unfinished.CompareAndSwap(v, v-1) {
			if v == 1 && wake {
				h.joinWait.wake()
			}
			return true
		}
	}
}

// Unfinished returns the number of values put and not yet marked done.
func (q *JoinableQueue[T]) Unfinished() int { return int(max(q.q.h.unfinished.Load(), 0)) }

// Join waits, as ctx allows, until every value put was marked done.
func (q *JoinableQueue[T]) Join(ctx context.Context) error {
	return await(ctx, &q.q.h.joinWait, q.q.mode, &q.q.spinC, joinWait{q.q}, waitStats{})
}

type joinWait struct{ q *MPMC }

func (w joinWait) ready() (bool, error) { return w.q.h.unfinished.Load() <= 0, nil }
func (w joinWait) stuck() error         { return nil }
func (w joinWait) slice() time.Duration {
	return time.Duration(quietSlice.Load())
}

// MarshalBinary encodes the queue as its handle.
func (q *JoinableQueue[T]) MarshalBinary() ([]byte, error) { return q.q.MarshalBinary() }

// UnmarshalBinary attaches the joinable queue an encoding names.
func (q *JoinableQueue[T]) UnmarshalBinary(b []byte) error { return shm.UnmarshalHandle(b, q) }

// AttachHandle attaches q to the joinable queue h names (see
// shm.AttachAs).
func (q *JoinableQueue[T]) AttachHandle(h shm.Handle) error {
	nq := new(Queue[T])
	if err := nq.AttachHandle(h); err != nil {
		return err
	}
	j, err := joinable(nq)
	if err != nil {
		return err
	}
	q.Queue = j.Queue
	return nil
}
