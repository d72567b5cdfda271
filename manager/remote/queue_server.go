package remote

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"net"
	"os"
	"time"

	"github.com/shmkit/shmkit/ring"
)

// The server's half of remote queues. A queue is package ring's MPMC
// queue in the served segment, found or created by name: the same object
// a process on the server's machine gets from manager.Queue[T](m, name),
// so local and remote producers and consumers share it. Values cross as
// bytes; the client's codec gives them a type.
//
// A Put that finds no room, or a Get that finds nothing, waits on the
// server at most the wait the request carries (and RequestTimeout), then
// answers "no"; the client asks again while its context lasts. Waiting
// requests come on connections of their own (the client sees to it): on
// the shared one a wait would hold up every request behind it. While it
// waits, the server watches that connection: a client that hangs up (its
// context cancelled, its process killed) ends the wait, so the queue does
// not hand a value to a client that is gone.

// queue returns the queue called name, opened once; with opts (capacity
// and slot size) it creates it if it does not exist.
func (s *Server) queue(name []byte, opts *ring.Options) (*ring.MPMC, error) {
	s.mu.RLock()
	q, ok := s.queues[string(name)]
	s.mu.RUnlock()
	if ok {
		return q, nil
	}
	seg, n := s.Manager.Segment(), string(name)
	var err error
	if opts != nil {
		q, err = ring.NewMPMC(seg, n, opts)
	}
	if opts == nil || errors.Is(err, os.ErrExist) {
		q, err = ring.OpenMPMC(seg, n)
	}
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	if s.queues == nil {
		s.queues = map[string]*ring.MPMC{}
	}
	if old, ok := s.queues[n]; ok {
		q = old // another connection opened it meanwhile: one handle per queue
	} else {
		s.queues[n] = q
	}
	s.mu.Unlock()
	return q, nil
}

// waits reports whether f is a request that may wait (a Put or Get with a
// non-zero wait).
func waits(f frame) bool {
	if (f.op != opQPut && f.op != opQGet) || len(f.fields) < 2 {
		return false
	}
	w, err := decodeWait(f.fields[1])
	return err == nil && w > 0
}

func decodeWait(b []byte) (time.Duration, error) {
	if len(b) != 8 {
		return 0, fmt.Errorf("wait of %d bytes: %w", len(b), ErrProtocol)
	}
	return time.Duration(min(binary.LittleEndian.Uint64(b), math.MaxInt64)), nil
}

func decodeQueueOptions(b []byte) (*ring.Options, error) {
	switch len(b) {
	case 0:
		return nil, nil
	case 16:
		c, sz := binary.LittleEndian.Uint64(b), binary.LittleEndian.Uint64(b[8:])
		if c > 1<<30 || sz > 1<<30 {
			return nil, fmt.Errorf("queue capacity %d, slot size %d: %w", c, sz, os.ErrInvalid)
		}
		return &ring.Options{Capacity: int(c), SlotSize: int(sz)}, nil
	}
	return nil, fmt.Errorf("queue options of %d bytes: %w", len(b), ErrProtocol)
}

func u64s(xs ...int) []byte {
	var b []byte
	for _, x := range xs {
		b = binary.LittleEndian.AppendUint64(b, uint64(x))
	}
	return b
}

func (s *Server) serveQueue(ctx context.Context, f frame, dst []byte) ([]byte, error) {
	a := f.fields
	var opts *ring.Options
	if f.op == opQOpen {
		var err error
		if opts, err = decodeQueueOptions(a[1]); err != nil {
			return nil, err
		}
	}
	q, err := s.queue(a[0], opts)
	if err != nil {
		return nil, err
	}
	switch f.op {
	case opQOpen:
		return appendFrame(dst, statusOK, u64s(q.Cap(), q.MaxMessage())), nil
	case opQLen:
		return appendFrame(dst, statusOK, u64s(q.Len(), q.Cap())), nil
	}
	wait, err := decodeWait(a[1])
	if err != nil {
		return nil, err
	}
	if f.op == opQPut {
		return queuePut(ctx, q, wait, a[2], dst)
	}
	return queueGet(ctx, q, wait, dst)
}

// notYet reports whether err means "no room" or "nothing" within the
// wait: a Try's ErrFull or ErrEmpty, or a deadline (the wait's or
// RequestTimeout's). A cancelled wait (the client hung up, the server
// stops) is an error.
func notYet(err error) bool {
	return errors.Is(err, ring.ErrFull) || errors.Is(err, ring.ErrEmpty) ||
		errors.Is(err, context.DeadlineExceeded)
}

func queuePut(ctx context.Context, q *ring.MPMC, wait time.Duration, v, dst []byte) ([]byte, error) {
	var err error
	if wait == 0 {
		err = q.TryPut(v)
	} else {
		wctx, cancel := context.WithTimeout(ctx, wait)
		err = q.Put(wctx, v)
		cancel()
	}
	switch {
	case err == nil:
		return appendFrame(dst, statusOK), nil
	case notYet(err):
		return appendFrame(dst, statusNo), nil
	}
	return nil, err
}

// queueGet takes a value straight into the reply: one copy.
func queueGet(ctx context.Context, q *ring.MPMC, wait time.Duration, dst []byte) ([]byte, error) {
	start := len(dst)
	out := appendFrame(dst, statusOK, nil)
	take := func(msg []byte) error { out = append(out, msg...); return nil }
	var err error
	if wait == 0 {
		err = q.TryGetFunc(take)
	} else {
		wctx, cancel := context.WithTimeout(ctx, wait)
		err = q.GetFunc(wctx, take)
		cancel()
	}
	switch {
	case err == nil:
		binary.LittleEndian.PutUint32(out[start:], uint32(len(out)-start-4))
		binary.LittleEndian.PutUint32(out[start+frameHeader:], uint32(len(out)-start-frameHeader-4))
		return out, nil
	case notYet(err):
		return appendFrame(dst[:start], statusNo), nil
	}
	return nil, err
}

// serveWaiting serves a request that may wait, watching the connection
// meanwhile: the client hanging up (EOF, a reset) cancels the wait. The
// watcher peeks at the reader, which nothing else reads while the request
// runs; a deadline in the past wakes it when the request is done (a
// timeout error that bufio hands back once, and the next read goes on).
func (s *Server) serveWaiting(ctx context.Context, c net.Conn, r *bufio.Reader, f frame, dst []byte) []byte {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	c.SetReadDeadline(time.Time{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		if _, err := r.Peek(1); err != nil && !errors.Is(err, os.ErrDeadlineExceeded) {
			cancel() // gone: a value taken now would go nowhere
		}
	}()
	out := s.serve(ctx, f, dst)
	c.SetReadDeadline(time.Now())
	<-done
	return out
}
