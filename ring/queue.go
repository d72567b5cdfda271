package ring

import (
	"context"
	"fmt"
	"sync"

	"github.com/shmkit/shmkit/codec"
	"github.com/shmkit/shmkit/shm"
)

// Queue is a typed MPMC queue across processes: Python's
// multiprocessing.Queue. Values travel through a Codec (codec.Default[T]
// unless WithCodec). Safe for any number of goroutines and processes.
type Queue[T any] struct {
	q       *MPMC
	codec   codec.Codec[T]
	scratch sync.Pool // *[]byte
}

// NewQueue allocates a queue of T called name in seg. Options.Capacity is
// the number of slots; a value whose encoding exceeds Options.SlotSize-16
// bytes takes several.
func NewQueue[T any](seg *shm.Segment, name string, opts *Options) (*Queue[T], error) {
	q, err := NewMPMC(seg, name, opts)
	if err != nil {
		return nil, err
	}
	return QueueOf[T](q), nil
}

// OpenQueue finds the queue called name in seg.
func OpenQueue[T any](seg *shm.Segment, name string) (*Queue[T], error) {
	q, err := OpenMPMC(seg, name)
	if err != nil {
		return nil, err
	}
	return QueueOf[T](q), nil
}

// QueueOf views an MPMC queue as a queue of T, with codec.Default[T].
func QueueOf[T any](q *MPMC) *Queue[T] { return &Queue[T]{q: q, codec: codec.Default[T]()} }

// WithCodec sets the codec (every process must use the same) and returns q.
// A Queue decoded from a handle in a child has codec.Default: set it again.
func (q *Queue[T]) WithCodec(c codec.Codec[T]) *Queue[T] { q.codec = c; return q }

// MPMC returns the underlying byte queue.
func (q *Queue[T]) MPMC() *MPMC { return q.q }

func (q *Queue[T]) encode(v T) ([]byte, *[]byte, error) {
	sp, _ := q.scratch.Get().(*[]byte)
	if sp == nil {
		b := make([]byte, 0, 256) // room for raw values and small gob messages
		sp = &b
	}
	b, err := q.codec.Encode(*sp, v)
	if err != nil {
		q.scratch.Put(sp)
		return nil, nil, fmt.Errorf("queue encode: %w", err)
	}
	return b, sp, nil
}

// Put sends v, waiting for room as ctx allows. os.ErrClosed after Close;
// ErrTooLarge when v's encoding exceeds the whole queue.
func (q *Queue[T]) Put(ctx context.Context, v T) error {
	b, sp, err := q.encode(v)
	if err != nil {
		return err
	}
	err = q.q.Put(ctx, b)
	q.scratch.Put(sp)
	return err
}

// TryPut is Put that never waits: ErrFull when there is no room.
func (q *Queue[T]) TryPut(v T) error {
	b, sp, err := q.encode(v)
	if err != nil {
		return err
	}
	err = q.q.TryPut(b)
	q.scratch.Put(sp)
	return err
}

// Get receives the next value, waiting as ctx allows; io.EOF once the
// queue is closed and drained.
func (q *Queue[T]) Get(ctx context.Context) (T, error) {
	var v T
	var derr error
	err := q.q.GetFunc(ctx, func(b []byte) error {
		v, derr = q.codec.Decode(b)
		return nil
	})
	if err == nil && derr != nil {
		err = fmt.Errorf("queue decode: %w", derr)
	}
	return v, err
}

// TryGet is Get that never waits: ErrEmpty when nothing is there.
func (q *Queue[T]) TryGet() (T, error) {
	var v T
	var derr error
	err := q.q.TryGetFunc(func(b []byte) error {
		v, derr = q.codec.Decode(b)
		return nil
	})
	if err == nil && derr != nil {
		err = fmt.Errorf("queue decode: %w", derr)
	}
	return v, err
}

// Len returns the number of values waiting (a snapshot, like qsize).
func (q *Queue[T]) Len() int { return q.q.Len() }

// Empty reports whether no value is waiting (a snapshot).
func (q *Queue[T]) Empty() bool { return q.q.Empty() }

// Full reports whether every slot is taken (a snapshot).
func (q *Queue[T]) Full() bool { return q.q.Full() }

// Cap returns the number of slots.
func (q *Queue[T]) Cap() int { return q.q.Cap() }

// Close closes the queue for every process: Put fails with os.ErrClosed,
// Get drains, then returns io.EOF.
func (q *Queue[T]) Close() error { return q.q.Close() }

// Closed reports whether the queue was closed.
func (q *Queue[T]) Closed() bool { return q.q.Closed() }

// Stats returns the queue's counters.
func (q *Queue[T]) Stats() Stats { return q.q.Stats() }

// Handle names the queue in another process.
func (q *Queue[T]) Handle() shm.Handle { return q.q.Handle() }

// MarshalBinary encodes the queue as its handle.
func (q *Queue[T]) MarshalBinary() ([]byte, error) { return q.q.MarshalBinary() }

// UnmarshalBinary attaches the queue an encoding names, with
// codec.Default[T].
func (q *Queue[T]) UnmarshalBinary(b []byte) error { return shm.UnmarshalHandle(b, q) }

// AttachHandle attaches q to the queue h names (see shm.AttachAs), with
// codec.Default[T].
func (q *Queue[T]) AttachHandle(h shm.Handle) error {
	m, err := attachMPMC(h)
	if err != nil {
		return err
	}
	q.q, q.codec = m, codec.Default[T]()
	return nil
}
