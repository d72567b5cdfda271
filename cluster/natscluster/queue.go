package natscluster

import (
	"context"
	"errors"
	"fmt"
	"io"
	"iter"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
	"github.com/shmkit/shmkit/codec"
	"github.com/shmkit/shmkit/ring"
)

// Queue is a typed FIFO queue on a JetStream work-queue stream: ring's
// Queue[T] for processes on many machines. Values travel through a
// codec.Codec[T] (codec.Default[T] unless WithCodec), the same as on the
// local queue; every process must use the same.
//
// Each value is a message; Get takes the oldest one and acknowledges it
// to the server before returning it, so each value goes to one Get.
// A process that dies between the server handing it a value and that
// acknowledgement loses nothing: the value goes to another Get after
// AckWait. Capacity is enforced by the server (discard new): TryPut
// fails with ring.ErrFull, Put waits for room by asking again every few
// milliseconds (the server has no wait for room).
//
// Lifecycle, as the local queue's: Close lets go of this handle (later
// calls: os.ErrClosed); Shutdown ends the queue for every process, as
// Python 3.13's Queue.shutdown: puts fail with ring.ErrShutdown (which
// wraps os.ErrClosed), gets take what is left, then fail with it (at once
// after Shutdown(ctx, true), which drops what is left). A shut-down queue
// stays shut down: its stream keeps a marker (delete the stream, Stream,
// to use the name again).
//
// The Try calls never wait for room or for a value, but they are network
// round trips: they take a ctx. Methods are safe for concurrent use.
type Queue[T any] struct {
	js        jetstream.JetStream
	stream    jetstream.Stream
	cons      jetstream.Consumer
	codec     codec.Codec[T]
	name      string
	items     string // the values' subject
	shutSubj  string // the shutdown marker's subject
	capacity  int
	sub       *nats.Subscription
	closed    atomic.Bool
	shut      atomic.Bool   // the marker was seen
	closing   chan struct{} // closed by Close
	closeOnce sync.Once
}

// QueueOptions configure a queue when NewQueue creates its stream.
type QueueOptions struct {
	// Capacity is the most values the queue holds (no limit but the
	// servers' when 0).
	Capacity int
	Storage  Storage
	// AckWait is how long a value handed to a Get that does not
	// acknowledge it (its process died) waits before going to another (30 s
	// when 0).
	AckWait time.Duration
}

// getSlice bounds one pull request of Get: between two, it looks for a
// shutdown.
const getSlice = 250 * time.Millisecond

// NewQueue opens the queue called name, creating its stream
// (SHMKIT_QUEUE_<name>) when it does not exist. ctx bounds the setup.
// Close it.
func NewQueue[T any](ctx context.Context, js jetstream.JetStream, name string, opts *QueueOptions) (*Queue[T], error) {
	if err := checkName("queue", name); err != nil {
		return nil, err
	}
	var o QueueOptions
	if opts != nil {
		o = *opts
	}
	if o.Capacity < 0 || o.AckWait < 0 {
		return nil, fmt.Errorf("queue options %+v: negative: %w", o, os.ErrInvalid)
	}
	if o.AckWait == 0 {
		o.AckWait = 30 * time.Second
	}
	q := &Queue[T]{
		js: js, codec: codec.Default[T](), name: name, capacity: o.Capacity,
		items: "shmkit.queue." + name + ".items", shutSubj: "shmkit.queue." + name + ".shutdown",
	}
	cfg := jetstream.StreamConfig{
		Name:        "SHMKIT_QUEUE_" + name,
		Description: "shmkit queue " + name,
		Subjects:    []string{q.items, q.shutSubj},
		Retention:   jetstream.WorkQueuePolicy,
		Discard:     jetstream.DiscardNew,
	}
	if o.Capacity > 0 {
		cfg.MaxMsgsPerSubject, cfg.DiscardNewPerSubject = int64(o.Capacity), true
	}
	if err := o.Storage.apply(&cfg); err != nil {
		return nil, err
	}
	err := retry(ctx, func(ctx context.Context) (err error) {
		q.stream, err = js.CreateStream(ctx, cfg)
		if errors.Is(err, jetstream.ErrStreamNameAlreadyInUse) {
			q.stream, err = js.Stream(ctx, cfg.Name)
		}
		if err != nil {
			return err
		}
		q.cons, err = q.stream.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
			Durable: "get", FilterSubject: q.items, AckPolicy: jetstream.AckExplicitPolicy,
			AckWait: o.AckWait, MaxDeliver: -1, MaxWaiting: 4096, MaxAckPending: -1,
		})
		return err
	})
	if err != nil {
		return nil, jsError("opening queue "+name, err)
	}
	if c := q.stream.CachedInfo().Config.MaxMsgsPerSubject; c > 0 {
		q.capacity = int(c) // the stream's, when it existed already
	}
	q.closing = make(chan struct{})
	if q.sub, err = js.Conn().Subscribe(q.shutSubj, func(*nats.Msg) { q.sawShutdown() }); err != nil {
		return nil, fmt.Errorf("opening queue %s: %w", name, err)
	}
	if _, err := q.stream.GetLastMsgForSubject(ctx, q.shutSubj); err == nil {
		q.sawShutdown()
	}
	return q, nil
}

// WithCodec sets the codec (every process must use the same) and returns q.
func (q *Queue[T]) WithCodec(c codec.Codec[T]) *Queue[T] { q.codec = c; return q }

// Stream is the name of the queue's stream.
func (q *Queue[T]) Stream() string { return "SHMKIT_QUEUE_" + q.name }

func (q *Queue[T]) sawShutdown() { q.shut.Store(true) }

func (q *Queue[T]) errShutdown() error {
	return fmt.Errorf("queue %s shut down: %w (%w)", q.name, ring.ErrShutdown, os.ErrClosed)
}

// isShut reports whether the queue was shut down, asking the server when
// this handle has not seen the marker.
func (q *Queue[T]) isShut(ctx context.Context) bool {
	if q.shut.Load() {
		return true
	}
	if _, err := q.stream.GetLastMsgForSubject(ctx, q.shutSubj); err == nil {
		q.sawShutdown()
		return true
	}
	return false
}

// Put sends v, waiting for room as ctx allows. os.ErrClosed after Close,
// ring.ErrShutdown after Shutdown; ring.ErrTooLarge when v's encoding
// exceeds the server's max_payload.
func (q *Queue[T]) Put(ctx context.Context, v T) error {
	for wait := time.Millisecond; ; wait = min(2*wait, 50*time.Millisecond) {
		err := q.TryPut(ctx, v)
		if !errors.Is(err, ring.ErrFull) {
			return err
		}
		if !sleep(ctx, wait) {
			return ctx.Err()
		}
	}
}

// TryPut is Put that does not wait for room: ring.ErrFull when the queue
// holds Capacity values.
func (q *Queue[T]) TryPut(ctx context.Context, v T) error {
	if q.closed.Load() {
		return os.ErrClosed
	}
	b, err := q.codec.Encode(nil, v)
	if err != nil {
		return fmt.Errorf("queue %s: encoding %T: %w", q.name, v, err)
	}
	// The shutdown marker's subject must hold nothing: the server checks
	// that with the write, so no put lands after a shutdown.
	_, err = q.js.Publish(ctx, q.items, b, jetstream.WithExpectLastSequenceForSubject(0, q.shutSubj))
	var api *jetstream.APIError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &api) && (api.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequence || api.ErrorCode == jetstream.JSErrCodeStreamWrongLastSequenceConstant):
		q.sawShutdown()
		return q.errShutdown()
	case errors.As(err, &api) && strings.Contains(api.Description, "maximum messages"):
		return fmt.Errorf("queue %s holds its capacity of %d: %w", q.name, q.capacity, ring.ErrFull)
	case errors.Is(err, nats.ErrMaxPayload) || errors.As(err, &api) && api.ErrorCode == jetstream.JSErrCodeStreamMessageExceedsMaximum:
		return fmt.Errorf("queue %s: a value of %d bytes: %w (%w)", q.name, len(b), ring.ErrTooLarge, err)
	}
	return fmt.Errorf("queue %s: put: %w", q.name, err)
}

// Get takes the next value, waiting as ctx allows; ring.ErrShutdown once
// the queue is shut down and drained.
//
// It waits in pull requests of getSlice that the server ends, and looks
// for a shutdown between two. When ctx ends first, the request stays
// until the server ends it, and a value the server hands it meanwhile is
// given back at once (see giveBack): cancelling the request would leave
// that value with nobody until AckWait.
func (q *Queue[T]) Get(ctx context.Context) (T, error) {
	var zero T
	for backoff := 10 * time.Millisecond; ; {
		if q.closed.Load() {
			return zero, os.ErrClosed
		}
		batch, err := q.cons.Fetch(1, jetstream.FetchMaxWait(getSlice))
		if err == nil {
			select {
			case msg, ok := <-batch.Messages():
				if ok {
					return q.take(ctx, msg)
				}
				err = batch.Error()
			case <-ctx.Done():
				giveBack(batch)
				return zero, ctx.Err()
			case <-q.closing:
				giveBack(batch)
				return zero, os.ErrClosed
			}
		}
		switch {
		case q.isShut(ctx):
			return q.TryGet(ctx) // what is left, else ErrShutdown
		case err == nil, errors.Is(err, nats.ErrTimeout), errors.Is(err, jetstream.ErrNoMessages):
		case errors.Is(err, nats.ErrConnectionClosed):
			return zero, fmt.Errorf("queue %s: get: %w", q.name, err)
		default: // reconnecting, a leader election
			if !sleep(ctx, backoff) {
				return zero, ctx.Err()
			}
			backoff = min(2*backoff, time.Second)
		}
	}
}

// giveBack gives the values an abandoned pull request still receives back
// to the queue (a negative acknowledgement: the server hands them out
// again at once).
func giveBack(batch jetstream.MessageBatch) {
	go func() {
		for m := range batch.Messages() {
			m.Nak()
		}
	}()
}

// TryGet takes the next value if there is one: ring.ErrEmpty when there
// is none, ring.ErrShutdown when the queue is shut down and drained.
func (q *Queue[T]) TryGet(ctx context.Context) (T, error) {
	var zero T
	if q.closed.Load() {
		return zero, os.ErrClosed
	}
	batch, err := q.cons.FetchNoWait(1)
	if err != nil {
		return zero, fmt.Errorf("queue %s: get: %w", q.name, err)
	}
	for msg := range batch.Messages() {
		return q.take(ctx, msg)
	}
	if err := batch.Error(); err != nil && !errors.Is(err, jetstream.ErrNoMessages) && !errors.Is(err, nats.ErrTimeout) {
		return zero, fmt.Errorf("queue %s: get: %w", q.name, err)
	}
	if q.isShut(ctx) {
		return zero, q.errShutdown()
	}
	return zero, fmt.Errorf("queue %s: %w", q.name, ring.ErrEmpty)
}

// take acknowledges msg (waiting for the server to confirm, so that it
// goes to no one else) and decodes it.
func (q *Queue[T]) take(ctx context.Context, msg jetstream.Msg) (T, error) {
	var zero T
	if err := msg.DoubleAck(ctx); err != nil {
		return zero, fmt.Errorf("queue %s: acknowledging a value (it goes back to the queue after AckWait): %w", q.name, err)
	}
	v, err := q.codec.Decode(msg.Data())
	if err != nil {
		return zero, fmt.Errorf("queue %s: decoding %T: %w", q.name, zero, err)
	}
	return v, nil
}

// All returns an iterator over the values this consumer gets, as ring's
// Queue.All: each step is a Get; the loop ends, with no error, once the
// queue is shut down and drained; any other error is yielded once and
// ends it.
func (q *Queue[T]) All(ctx context.Context) iter.Seq2[T, error] {
	return func(yield func(T, error) bool) {
		for {
			v, err := q.Get(ctx)
			switch {
			case errors.Is(err, ring.ErrShutdown), err == io.EOF:
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

// Len returns the number of values waiting, taken ones not yet
// acknowledged included (a snapshot).
func (q *Queue[T]) Len(ctx context.Context) (int, error) {
	info, err := q.stream.Info(ctx, jetstream.WithSubjectFilter(q.items))
	if err != nil {
		return 0, fmt.Errorf("queue %s: len: %w", q.name, err)
	}
	return int(info.State.Subjects[q.items]), nil
}

// Cap returns the capacity (0: no limit but the servers').
func (q *Queue[T]) Cap() int { return q.capacity }

// Shutdown ends the queue for every process (see Queue); immediate also
// drops the values left. It is idempotent.
func (q *Queue[T]) Shutdown(ctx context.Context, immediate bool) error {
	if q.closed.Load() {
		return os.ErrClosed
	}
	if !q.isShut(ctx) {
		if _, err := q.js.Publish(ctx, q.shutSubj, nil); err != nil {
			return fmt.Errorf("queue %s: shutdown: %w", q.name, err)
		}
		q.sawShutdown()
	}
	if immediate {
		if err := q.stream.Purge(ctx, jetstream.WithPurgeSubject(q.items)); err != nil {
			return fmt.Errorf("queue %s: shutdown: dropping the values left: %w", q.name, err)
		}
	}
	return nil
}

// Close lets go of this handle: later calls return os.ErrClosed; the
// queue stays for the others. It is idempotent.
func (q *Queue[T]) Close() error {
	var err error
	q.closeOnce.Do(func() {
		q.closed.Store(true)
		err = q.sub.Unsubscribe()
		close(q.closing) // wakes this handle's Gets
	})
	if errors.Is(err, nats.ErrConnectionClosed) {
		err = nil
	}
	return err
}
