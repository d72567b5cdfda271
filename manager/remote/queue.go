package remote

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/shmkit/shmkit/codec"
	"github.com/shmkit/shmkit/manager/table"
	"github.com/shmkit/shmkit/ring"
)

// QueueOptions size a queue a client creates on the server (package
// ring's Options: Capacity slots, each of SlotSize bytes with its header;
// zero takes ring's default).
type QueueOptions struct {
	Capacity, SlotSize int
}

// Queue is a typed queue served by a Server: Python's
// BaseManager.register('get_queue', …) queue, reached from another
// machine. It is package ring's MPMC queue in the served segment, so
// processes on the server's machine can use the same queue in place
// (manager.Queue[T] with the same name and codec).
//
// Put and Get wait as their context allows; TryPut and TryGet never wait
// for room or a value (ring.ErrFull, ring.ErrEmpty), only for the round
// trip. A Put or Get first tries on the Client's shared connection; one
// that must wait waits on a connection of its own (kept for the next), so
// it holds up no other call. A context cancelled during such a wait hangs
// that connection up, and the server stops waiting: the value goes to
// another consumer. Only a Get whose value the server had taken in the
// instant before it saw the hang-up loses that value, as CPython's would.
// A context that reaches its deadline is waited for a little longer: a
// value the server took at the last moment is returned, not lost.
type Queue[T any] struct {
	c      *Client
	name   []byte
	cap    int
	maxMsg int
	codec  codec.Codec[T]
}

// OpenQueue returns a proxy for the server's queue called name, creating
// it there with opts if it does not exist (opts nil: it must exist, else
// an error wrapping os.ErrNotExist). Values travel through codec.Default[T]
// unless WithCodec.
func OpenQueue[T any](ctx context.Context, c *Client, name string, opts *QueueOptions) (*Queue[T], error) {
	q := &Queue[T]{c: c, name: []byte(name), codec: codec.Default[T]()}
	var o []byte
	if opts != nil {
		if opts.Capacity < 0 || opts.SlotSize < 0 {
			return nil, fmt.Errorf("queue options %+v: %w", *opts, os.ErrInvalid)
		}
		o = u64s(opts.Capacity, opts.SlotSize)
	}
	err := c.call(ctx, opQOpen, func(f frame) error {
		if len(f.fields) != 1 || len(f.fields[0]) != 16 {
			return fmt.Errorf("queue open reply: %w", ErrProtocol)
		}
		q.cap = int(binary.LittleEndian.Uint64(f.fields[0]))
		q.maxMsg = int(binary.LittleEndian.Uint64(f.fields[0][8:]))
		return nil
	}, q.name, o)
	if err != nil {
		return nil, err
	}
	return q, nil
}

// WithCodec sets the codec (every process using the queue must use the
// same) and returns q.
func (q *Queue[T]) WithCodec(c codec.Codec[T]) *Queue[T] { q.codec = c; return q }

// Cap returns the number of slots (a value longer than a slot takes
// several).
func (q *Queue[T]) Cap() int { return q.cap }

// String describes q as `remote queue "jobs" at host:port`.
func (q *Queue[T]) String() string { return fmt.Sprintf("remote queue %q at %s", q.name, q.c.addr) }

// Len returns the number of slots in use (a snapshot, like qsize).
func (q *Queue[T]) Len(ctx context.Context) (int, error) {
	var n int
	err := q.c.call(ctx, opQLen, func(f frame) error {
		if len(f.fields) != 1 || len(f.fields[0]) != 16 {
			return fmt.Errorf("queue length reply: %w", ErrProtocol)
		}
		n = int(binary.LittleEndian.Uint64(f.fields[0]))
		return nil
	}, q.name)
	return n, err
}

func (q *Queue[T]) encode(v T) ([]byte, error) {
	b, err := q.codec.Encode(nil, v)
	if err != nil {
		return nil, fmt.Errorf("queue encode: %w", err)
	}
	return b, nil
}

// TryPut sends v if there is room now: ring.ErrFull if not, os.ErrClosed
// after the queue was closed.
func (q *Queue[T]) TryPut(ctx context.Context, v T) error {
	b, err := q.encode(v)
	if err != nil {
		return err
	}
	return q.tryPut(ctx, b)
}

func (q *Queue[T]) tryPut(ctx context.Context, b []byte) error {
	var ok bool
	err := q.c.call(ctx, opQPut, func(f frame) error { ok = f.op == statusOK; return nil }, q.name, u64s(0), b)
	if err == nil && !ok {
		err = fmt.Errorf("%v: %w", q, ring.ErrFull)
	}
	return err
}

// Put sends v, waiting for room as ctx allows.
func (q *Queue[T]) Put(ctx context.Context, v T) error {
	b, err := q.encode(v)
	if err != nil {
		return err
	}
	if err := q.tryPut(ctx, b); !errors.Is(err, ring.ErrFull) {
		return err
	}
	for {
		f, err := q.c.waitCall(ctx, opQPut, q.name, b)
		if err != nil || f.op == statusOK {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
	}
}

// TryGet receives a value if one is there now: ring.ErrEmpty if not,
// io.EOF once the queue is closed and drained.
func (q *Queue[T]) TryGet(ctx context.Context) (T, error) {
	var v T
	var ok bool
	err := q.c.call(ctx, opQGet, func(f frame) error {
		ok = f.op == statusOK
		if ok {
			var derr error
			v, derr = q.decode(f)
			return derr
		}
		return nil
	}, q.name, u64s(0))
	if err == nil && !ok {
		err = fmt.Errorf("%v: %w", q, ring.ErrEmpty)
	}
	return v, err
}

// Get receives the next value, waiting as ctx allows; io.EOF once the
// queue is closed and drained.
func (q *Queue[T]) Get(ctx context.Context) (T, error) {
	v, err := q.TryGet(ctx)
	if !errors.Is(err, ring.ErrEmpty) {
		return v, err
	}
	for {
		f, err := q.c.waitCall(ctx, opQGet, q.name)
		if err != nil {
			return v, err
		}
		if f.op == statusOK {
			return q.decode(f)
		}
		if err := ctx.Err(); err != nil {
			return v, err
		}
	}
}

func (q *Queue[T]) decode(f frame) (T, error) {
	if len(f.fields) != 1 {
		var zero T
		return zero, fmt.Errorf("queue value reply of %d fields: %w", len(f.fields), ErrProtocol)
	}
	v, err := q.codec.Decode(f.fields[0])
	if err != nil {
		return v, fmt.Errorf("queue decode: %w", err)
	}
	return v, nil
}

// Waiting calls. A request that may wait goes on a connection of its own
// (waitConns keeps a few for the next), with the wait it may take on the
// server: what is left of ctx's deadline, or maxWait; the reply is read
// until that wait plus waitGrace. ctx cancelled (not a deadline) closes
// the connection at once, which the server sees and stops waiting.
const (
	maxWait       = 20 * time.Second
	waitGrace     = 5 * time.Second
	maxIdleWaits  = 4
	maxWaitIdling = 30 * time.Second // a pooled connection older is not reused: the server's idle timeout may have closed it
)

type idleConn struct {
	conn  net.Conn
	since time.Time
}

// waitCall sends op with the name, the wait and the rest of its fields on
// a connection of its own and returns the reply.
func (c *Client) waitCall(ctx context.Context, op byte, name []byte, rest ...[]byte) (frame, error) {
	wait := maxWait
	if d, ok := ctx.Deadline(); ok {
		wait = min(time.Until(d), maxWait)
	}
	if err := ctx.Err(); err != nil {
		return frame{}, err
	}
	wait = max(wait, time.Millisecond)
	all := append([][]byte{name, u64s(int(wait))}, rest...)
	if n := frameSize(all...) - 4; n > c.maxFrame {
		return frame{}, fmt.Errorf("request of %d bytes over the frame limit %d: %w", n, c.maxFrame, table.ErrTooLarge)
	}
	conn, err := c.takeConn(ctx)
	if err != nil {
		return frame{}, err
	}
	conn.SetDeadline(time.Now().Add(wait + waitGrace))
	if _, err := conn.Write(appendFrame(nil, op, all...)); err != nil {
		conn.Close()
		return frame{}, fmt.Errorf("manager %s: %w", c.addr, err)
	}
	stop := context.AfterFunc(ctx, func() {
		if !errors.Is(ctx.Err(), context.DeadlineExceeded) {
			conn.Close() // cancelled: hang up, so the server stops waiting for us
		}
	})
	f, _, err := readFrame(conn, c.maxFrame, nil)
	if !stop() && !errors.Is(ctx.Err(), context.DeadlineExceeded) {
		conn.Close()
		return frame{}, ctx.Err()
	}
	if err != nil {
		conn.Close()
		return frame{}, fmt.Errorf("manager %s: %w", c.addr, err)
	}
	c.putConn(conn)
	if f.op == statusErr {
		return frame{}, remoteError(f.fields)
	}
	return f, nil
}

// takeConn returns an idle waiting connection, or dials one.
func (c *Client) takeConn(ctx context.Context) (net.Conn, error) {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil, fmt.Errorf("manager client: %w", os.ErrClosed)
	}
	for len(c.idle) > 0 {
		ic := c.idle[len(c.idle)-1]
		c.idle = c.idle[:len(c.idle)-1]
		if time.Since(ic.since) < maxWaitIdling {
			c.mu.Unlock()
			return ic.conn, nil
		}
		ic.conn.Close()
	}
	c.mu.Unlock()
	return c.dial(ctx)
}

// putConn keeps conn for the next waiting call, or closes it.
func (c *Client) putConn(conn net.Conn) {
	conn.SetDeadline(time.Time{})
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed || len(c.idle) >= maxIdleWaits {
		conn.Close()
		return
	}
	c.idle = append(c.idle, idleConn{conn, time.Now()})
}
