package ring

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"reflect"
	"sync"

	"github.com/shmkit/shmkit/codec"
	"github.com/shmkit/shmkit/shm"
)

// Queue is a typed MPMC queue across processes: Python's
// multiprocessing.Queue. Values travel through a Codec (codec.Default[T]
// unless WithCodec). Safe for any number of goroutines and processes.
//
// The queue records T's signature (its shape: see typesig.go): opening it
// as a queue of another type is shm.ErrWrongKind. A nil pointer or nil
// interface T travels as an empty message the codec never sees, and comes
// back nil (a codec for such a T must not encode a value to zero bytes).
type Queue[T any] struct {
	q       *MPMC
	codec   codec.Codec[T]
	nilable bool      // T is a pointer or an interface: nil travels as an empty message
	scratch sync.Pool // *[]byte
}

// NewQueue allocates a queue of T called name in seg. Options.Capacity is
// the number of slots, as asked; a value whose encoding exceeds
// Options.SlotSize-16 bytes takes several.
func NewQueue[T any](seg *shm.Segment, name string, opts *Options) (*Queue[T], error) {
	q, err := newMPMC(seg, name, opts, 0, sigOf[T](), nil)
	if err != nil {
		return nil, err
	}
	return QueueOf[T](q), nil
}

// OpenQueue finds the queue called name in seg. A queue made for another
// element type is shm.ErrWrongKind; an untyped one (NewMPMC) opens as a
// queue of T.
func OpenQueue[T any](seg *shm.Segment, name string) (*Queue[T], error) {
	q, err := OpenMPMC(seg, name)
	if err != nil {
		return nil, err
	}
	if err := checkSig[T](q); err != nil {
		return nil, err
	}
	return QueueOf[T](q), nil
}

// checkSig refuses a queue made for another element type than T.
func checkSig[T any](q *MPMC) error {
	if s := q.h.sig; s != 0 && s != sigOf[T]() {
		return newObjError(fmt.Sprintf("queue %q was made for another element type than %s (signature %016x, want %016x)",
			q.obj.Name(), reflect.TypeFor[T](), s, sigOf[T]()), shm.ErrWrongKind)
	}
	return nil
}

// QueueOf views an MPMC queue as a queue of T, with codec.Default[T]. It
// does not look at the type the queue was made for (OpenQueue does).
func QueueOf[T any](q *MPMC) *Queue[T] {
	k := reflect.TypeFor[T]().Kind()
	return &Queue[T]{q: q, codec: codec.Default[T](), nilable: k == reflect.Pointer || k == reflect.Interface}
}

// isNil reports whether v, a pointer or an interface, is nil. (Boxing a
// pointer in an interface does not allocate.)
func isNil[T any](v T) bool {
	x := any(v)
	if x == nil {
		return true // a nil interface T
	}
	rv := reflect.ValueOf(x)
	return reflect.TypeFor[T]().Kind() == reflect.Pointer && rv.IsNil()
}

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
	if q.nilable && isNil(v) {
		return (*sp)[:0], sp, nil
	}
	b, err := q.codec.Encode(*sp, v)
	if err == nil && q.nilable && len(b) == 0 {
		err = fmt.Errorf("the codec encoded a non-nil %T as zero bytes, which is how nil travels", v)
	}
	if err != nil {
		q.scratch.Put(sp)
		return nil, nil, q.q.errs.errorf("encoding %T: %w", v, err)
	}
	return b, sp, nil
}

// Put sends v, waiting for room as ctx allows. os.ErrClosed after Close,
// ErrShutdown (and os.ErrClosed) after Shutdown; ErrTooLarge when v's
// encoding exceeds the whole queue.
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
// queue is closed and drained, ErrShutdown (wrapped) once it is shut down
// and drained (at once after Shutdown(true)).
func (q *Queue[T]) Get(ctx context.Context) (T, error) {
	var v T
	var derr error
	err := q.q.GetFunc(ctx, func(b []byte) error {
		v, derr = q.decode(b)
		return nil
	})
	if err == nil && derr != nil {
		err = derr
	}
	return v, err
}

// decode decodes a message: an empty one is nil for a pointer or
// interface T.
func (q *Queue[T]) decode(b []byte) (T, error) {
	if q.nilable && len(b) == 0 {
		var zero T
		return zero, nil
	}
	v, err := q.codec.Decode(b)
	if err != nil {
		return v, q.q.errs.errorf("decoding %s: %w", reflect.TypeFor[T](), err)
	}
	return v, nil
}

// TryGet is Get that never waits: ErrEmpty when nothing is there.
func (q *Queue[T]) TryGet() (T, error) {
	var v T
	var derr error
	err := q.q.TryGetFunc(func(b []byte) error {
		v, derr = q.decode(b)
		return nil
	})
	if err == nil && derr != nil {
		err = derr
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

// Shutdown ends the queue for every process, as Python's
// Queue.shutdown(immediate) does (see MPMC.Shutdown): puts fail with
// ErrShutdown; gets drain what is left first unless immediate, which drops
// it.
func (q *Queue[T]) Shutdown(immediate bool) error { return q.q.Shutdown(immediate) }

// All returns an iterator over the values the queue delivers to this
// consumer, for a range-over-func loop:
//
//	for v, err := range q.All(ctx) {
//		if err != nil {
//			return err
//		}
//		use(v)
//	}
//
// Each step is a Get. The loop ends, with no error, when the queue is
// closed or shut down and has nothing more for this consumer (io.EOF,
// ErrShutdown); any other error (ctx's end, a value that does not decode)
// is yielded once and ends it. Several consumers may range over one queue:
// each value goes to one of them.
func (q *Queue[T]) All(ctx context.Context) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		for {
			v, err := q.Get(ctx)
			switch {
			case err == io.EOF || errors.Is(err, ErrShutdown):
				return
			case err != nil:
				yield(v, err)
				return
			case !yield(v, nil):
				return
			}
		}
	}
}

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
// codec.Default[T]. A queue made for another element type is
// shm.ErrWrongKind.
func (q *Queue[T]) AttachHandle(h shm.Handle) error {
	m, err := attachMPMC(h)
	if err != nil {
		return err
	}
	if err := checkSig[T](m); err != nil {
		return err
	}
	nq := QueueOf[T](m)
	q.q, q.codec, q.nilable = nq.q, nq.codec, nq.nilable
	return nil
}
