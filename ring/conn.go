package ring

import (
	"bytes"
	"context"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/shmkit/shmkit/shm"
)

var (
	errNoSend = fmt.Errorf("receive-only end of a simplex pipe: %w", os.ErrInvalid)
	errNoRecv = fmt.Errorf("send-only end of a simplex pipe: %w", os.ErrInvalid)
)

// Send gob-encodes v and sends it as one message, waiting for room as ctx
// allows. os.ErrClosed after either end closed; an error wrapping
// ErrPeerDead when the other end's process died and the ring is full.
func (c *Conn) Send(ctx context.Context, v any) error {
	if c.send == nil {
		return errNoSend
	}
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(v); err != nil {
		return c.p.errs.errorf("encoding %T: %w", v, err)
	}
	return c.send.Write(ctx, buf.Bytes())
}

// Recv receives one message sent by Send and gob-decodes it into v (a
// pointer), waiting as ctx allows; io.EOF once the other end closed and
// every message was received, an error wrapping ErrPeerDead once the other
// end's process died and every message it sent was received. It decodes
// straight from shared memory.
func (c *Conn) Recv(ctx context.Context, v any) error {
	if c.recv == nil {
		return errNoRecv
	}
	rec, err := c.recv.Peek(ctx)
	if err != nil {
		return err
	}
	err = gob.NewDecoder(bytes.NewReader(rec)).Decode(v)
	c.recv.Release()
	if err != nil {
		return c.p.errs.errorf("decoding into %T: %w", v, err)
	}
	return nil
}

// SendBytes sends b as one message (at most MaxMessage bytes).
func (c *Conn) SendBytes(ctx context.Context, b []byte) error {
	if c.send == nil {
		return errNoSend
	}
	return c.send.Write(ctx, b)
}

// RecvBytes receives one message as a new slice.
func (c *Conn) RecvBytes(ctx context.Context) ([]byte, error) {
	if c.recv == nil {
		return nil, errNoRecv
	}
	rec, err := c.recv.Peek(ctx)
	if err != nil {
		return nil, err
	}
	b := make([]byte, len(rec))
	copyChunked(b, rec)
	c.recv.Release()
	return b, nil
}

// Poll waits, as ctx allows, until a Recv would not wait (a message, the
// end of the stream or an error is there) and reports whether so. With a
// done ctx it only looks.
func (c *Conn) Poll(ctx context.Context) bool {
	if c.recv == nil {
		return false
	}
	if len(c.left) > 0 {
		return true
	}
	_, err := c.recv.Next(ctx)
	return err == nil || !errors.Is(err, context.Canceled) && !errors.Is(err, context.DeadlineExceeded)
}

// MaxMessage is the largest message Send or SendBytes can carry.
func (c *Conn) MaxMessage() int {
	if c.send != nil {
		return c.send.MaxMessage()
	}
	return c.recv.MaxMessage()
}

// Write implements io.Writer: p goes as one or more messages (split at
// MaxMessage), waiting for room until the write deadline (SetDeadline,
// SetWriteDeadline; none by default). After the deadline it fails with
// os.ErrDeadlineExceeded (at once when it has passed already, as net.Conn
// does), having sent the first n bytes of p; after the reader's death,
// once it must wait for room, with an error wrapping ErrPeerDead.
func (c *Conn) Write(p []byte) (int, error) {
	if c.send == nil {
		return 0, errNoSend
	}
	ctx := deadlineCtx{c.wdl.wait()}
	if isClosed(ctx.done) {
		return 0, os.ErrDeadlineExceeded
	}
	n := 0
	for len(p) > 0 {
		k := min(len(p), c.send.MaxMessage())
		if err := c.send.Write(ctx, p[:k]); err != nil {
			return n, err
		}
		n += k
		p = p[k:]
	}
	return n, nil
}

// Read implements io.Reader over the messages as one byte stream: a
// message longer than p is returned over several Reads. It waits until the
// read deadline (SetDeadline, SetReadDeadline; none by default), then
// fails with os.ErrDeadlineExceeded (at once when it has passed already,
// as net.Conn does). io.EOF once the other end closed and the stream is
// drained. A writer that died without closing leaves a stream that may
// stop anywhere: once what it sent is read, Read returns an error
// wrapping both io.ErrUnexpectedEOF and ErrPeerDead, never io.EOF.
func (c *Conn) Read(p []byte) (int, error) {
	if c.recv == nil {
		return 0, errNoRecv
	}
	ctx := deadlineCtx{c.rdl.wait()}
	if isClosed(ctx.done) {
		return 0, os.ErrDeadlineExceeded
	}
	if len(c.left) > 0 {
		n := copy(p, c.left)
		c.left = c.left[n:]
		return n, nil
	}
	if len(p) == 0 {
		return 0, nil
	}
	rec, err := c.recv.Peek(ctx)
	if err != nil {
		if errors.Is(err, ErrPeerDead) {
			err = c.p.errs.errorf("read: %w: %w", io.ErrUnexpectedEOF, err)
		}
		return 0, err
	}
	n := copyChunked(p, rec)
	if n < len(rec) {
		c.left = append(c.left[:0], rec[n:]...)
	}
	c.recv.Release()
	return n, nil
}

// SetDeadline sets the read and write deadlines, as net.Conn's does: Read
// and Write fail with os.ErrDeadlineExceeded once t has passed, including
// calls already waiting; a later t extends it, the zero time removes it.
// The deadlines apply to Read and Write only: Send, Recv and the other
// calls wait as their context allows.
func (c *Conn) SetDeadline(t time.Time) error {
	c.rdl.set(t)
	c.wdl.set(t)
	return nil
}

// SetReadDeadline sets the deadline of Read (see SetDeadline).
func (c *Conn) SetReadDeadline(t time.Time) error {
	c.rdl.set(t)
	return nil
}

// SetWriteDeadline sets the deadline of Write (see SetDeadline).
func (c *Conn) SetWriteDeadline(t time.Time) error {
	c.wdl.set(t)
	return nil
}

// ForgetDeadPeers forgets a dead process at the other end (see
// Ring.ForgetDeadPeers), so that this end waits for a new one, such as a
// child the end was handed to in the dead one's place.
func (c *Conn) ForgetDeadPeers() {
	for _, r := range []*Ring{c.send, c.recv} {
		if r != nil {
			r.ForgetDeadPeers()
		}
	}
}

// Close closes both directions of the pipe for both ends: the other end's
// Recv drains what was sent, then gets io.EOF; its Send gets os.ErrClosed.
// Idempotent.
func (c *Conn) Close() error {
	if c.closed.Swap(true) {
		return nil
	}
	// The direction the peer sends on first: once the peer reads io.EOF,
	// its sends already fail.
	if c.recv != nil {
		c.recv.Close()
	}
	if c.send != nil {
		c.send.Close()
	}
	return nil
}

// MarshalBinary encodes the end as the pipe's handle plus the end number,
// so a *Conn travels to a child started by package process.
func (c *Conn) MarshalBinary() ([]byte, error) {
	b, err := c.p.obj.Handle().MarshalBinary()
	if err != nil {
		return nil, err
	}
	return append(b, c.end), nil
}

// UnmarshalBinary attaches the pipe end a MarshalBinary encoding names.
func (c *Conn) UnmarshalBinary(b []byte) error {
	if len(b) < 2 || b[len(b)-1] > 1 {
		return fmt.Errorf("pipe end handle of %d bytes: %w", len(b), os.ErrInvalid)
	}
	var h shm.Handle
	if err := h.UnmarshalBinary(b[:len(b)-1]); err != nil {
		return err
	}
	obj, err := shm.Attach(h, shm.KindPipe, pipeVersion)
	if err != nil {
		return err
	}
	p, err := pipeFrom(obj)
	if err != nil {
		return err
	}
	nc := p.end(int(b[len(b)-1]))
	c.p, c.end, c.send, c.recv = nc.p, nc.end, nc.send, nc.recv
	return nil
}
