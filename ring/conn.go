package ring

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/gob"
	"errors"
	"fmt"
	"io"
	"os"
	"reflect"
	"time"

	"github.com/shmkit/shmkit/internal/owner"
	"github.com/shmkit/shmkit/shm"
)

var (
	errNoSend = fmt.Errorf("receive-only end of a simplex pipe: %w", os.ErrInvalid)
	errNoRecv = fmt.Errorf("send-only end of a simplex pipe: %w", os.ErrInvalid)
)

// Send gob-encodes v and sends it as one message, waiting for room (and
// for its turn, when other goroutines or processes send on this end) as
// ctx allows. A nil v (or nil pointer), which gob cannot encode, goes as
// an empty message, which Recv decodes as the zero value (Python's
// send(None)). An error wrapping os.ErrClosed once every process holding
// the other end closed it (ErrShutdown too after Shutdown), or after this
// handle's Close; an error wrapping ErrPeerDead once they are all gone and
// one of them died.
func (c *Conn) Send(ctx context.Context, v any) error {
	if c.send == nil {
		return errNoSend
	}
	if v == nil || isNilPointer(v) {
		return c.SendBytes(ctx, nil)
	}
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(v); err != nil {
		return c.p.errs.errorf("encoding %T: %w", v, err)
	}
	return c.SendBytes(ctx, buf.Bytes())
}

// Recv receives one message sent by Send and gob-decodes it into v (a
// pointer), waiting as ctx allows; io.EOF once every process holding the
// other end closed it (or Shutdown was called) and every message was
// received; an error wrapping ErrPeerDead instead when one of them died.
// It decodes straight from shared memory.
func (c *Conn) Recv(ctx context.Context, v any) error {
	if c.recv == nil {
		return errNoRecv
	}
	me, err := c.lockRecv(ctx)
	if err != nil {
		return err
	}
	defer c.unlockRecv(me)
	rec, err := c.recv.Peek(ctx)
	if err != nil {
		return err
	}
	if len(rec) == 0 {
		err = setZero(v) // Send(nil)
	} else {
		err = gob.NewDecoder(bytes.NewReader(rec)).Decode(v)
	}
	c.recv.Release()
	if err != nil {
		return c.p.errs.errorf("decoding into %T: %w", v, err)
	}
	return nil
}

// SendBytes sends b as one message (at most MaxMessage bytes), as Send.
func (c *Conn) SendBytes(ctx context.Context, b []byte) error {
	if c.send == nil {
		return errNoSend
	}
	me, err := c.lockSend(ctx)
	if err != nil {
		return err
	}
	defer c.unlockSend(me)
	rec, err := c.send.Reserve(ctx, len(b))
	if err != nil {
		return err
	}
	copyChunked(rec, b)
	if hookConnReserved != nil {
		hookConnReserved()
	}
	c.send.Commit()
	return nil
}

// RecvBytes receives one message as a new slice, as Recv.
func (c *Conn) RecvBytes(ctx context.Context) ([]byte, error) {
	var b []byte
	_, err := c.recvInto(ctx, func(rec []byte) []byte {
		b = make([]byte, len(rec))
		return b
	})
	return b, err
}

// RecvBytesInto receives one message into buf and returns its length, as
// Python's recv_bytes_into. A message longer than buf is taken all the
// same and returned in a *BufferTooShortError (which wraps
// io.ErrShortBuffer), as Python's BufferTooShort carries it.
func (c *Conn) RecvBytesInto(ctx context.Context, buf []byte) (int, error) {
	var short []byte
	n, err := c.recvInto(ctx, func(rec []byte) []byte {
		if len(rec) > len(buf) {
			short = make([]byte, len(rec))
			return short
		}
		return buf[:len(rec)]
	})
	if err == nil && short != nil {
		return 0, &BufferTooShortError{Message: short, buf: len(buf), what: c.p.errs.what}
	}
	return n, err
}

// recvInto receives one message, copied into the slice dst returns for its
// length.
func (c *Conn) recvInto(ctx context.Context, dst func(rec []byte) []byte) (int, error) {
	if c.recv == nil {
		return 0, errNoRecv
	}
	me, err := c.lockRecv(ctx)
	if err != nil {
		return 0, err
	}
	defer c.unlockRecv(me)
	rec, err := c.recv.Peek(ctx)
	if err != nil {
		return 0, err
	}
	n := copyChunked(dst(rec), rec)
	c.recv.Release()
	return n, nil
}

// BufferTooShortError is RecvBytesInto's error for a message longer than
// the buffer: Python's multiprocessing.BufferTooShort, whose args[0] is
// the message. The message is taken from the pipe.
type BufferTooShortError struct {
	Message []byte // the whole message
	buf     int
	what    string
}

func (e *BufferTooShortError) Error() string {
	return fmt.Sprintf("%s: message of %d bytes, buffer of %d", e.what, len(e.Message), e.buf)
}

// Unwrap makes errors.Is(err, io.ErrShortBuffer) true.
func (e *BufferTooShortError) Unwrap() error { return io.ErrShortBuffer }

// Poll waits, as ctx allows, until a Recv would not wait (a message, the
// end of the stream or an error is there) and reports whether so. With a
// done ctx it only looks. It takes no message.
func (c *Conn) Poll(ctx context.Context) bool {
	if c.recv == nil {
		return false
	}
	me, err := c.lockRecv(ctx)
	if err != nil {
		return errors.Is(err, os.ErrClosed)
	}
	defer c.unlockRecv(me)
	if len(c.left) > 0 {
		return true
	}
	_, err = c.recv.Next(ctx)
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
// MaxMessage, sent in one turn), waiting for room until the write deadline
// (SetDeadline, SetWriteDeadline; none by default). After the deadline it
// fails with os.ErrDeadlineExceeded (at once when it has passed already,
// as net.Conn does), having sent the first n bytes of p; once no process
// holds the other end, as Send.
func (c *Conn) Write(p []byte) (int, error) {
	if c.send == nil {
		return 0, errNoSend
	}
	ctx := deadlineCtx{c.wdl.wait()}
	if isClosed(ctx.done) {
		return 0, os.ErrDeadlineExceeded
	}
	me, err := c.lockSend(ctx)
	if err != nil {
		return 0, err
	}
	defer c.unlockSend(me)
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
// message longer than p is returned over several Reads (of this handle:
// the rest waits in it). It waits until the read deadline (SetDeadline,
// SetReadDeadline; none by default), then fails with
// os.ErrDeadlineExceeded (at once when it has passed already, as net.Conn
// does). io.EOF once every process holding the other end closed it and the
// stream is drained. A writer that died without closing leaves a stream
// that may stop anywhere: once what it sent is read, Read returns an error
// wrapping both io.ErrUnexpectedEOF and ErrPeerDead, never io.EOF.
func (c *Conn) Read(p []byte) (int, error) {
	if c.recv == nil {
		return 0, errNoRecv
	}
	ctx := deadlineCtx{c.rdl.wait()}
	if isClosed(ctx.done) {
		return 0, os.ErrDeadlineExceeded
	}
	me, err := c.lockRecv(ctx)
	if err != nil {
		return 0, err
	}
	defer c.unlockRecv(me)
	if len(c.left) > 0 {
		n := copy(p, c.left)
		c.left = c.left[n:]
		c.partial.Store(len(c.left) > 0)
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
		c.partial.Store(true)
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

// ForgetDeadPeers frees the entries of dead holders of either end and
// forgets that they died, so that this end waits for a new holder of the
// other end (such as a child the end was handed to in the dead one's
// place) instead of reporting ErrPeerDead, and reports io.EOF once every
// later holder closed it.
func (c *Conn) ForgetDeadPeers() {
	for end := range 2 {
		c.p.forgetDeaths(end)
	}
	for _, r := range []*Ring{c.send, c.recv} {
		if r != nil {
			r.ForgetDeadPeers()
		}
	}
}

// Close lets go of this handle, as Python's Connection.close: calls on it
// fail with os.ErrClosed from now on. The pipe goes on for every other
// handle; once no process holds this end any more (each closed its
// handles, or died), the other end's Recv drains what was sent, then gets
// io.EOF, and its Send fails. A handle being marshaled to a child holds
// the end on the child's behalf (see NewPipe). Idempotent.
func (c *Conn) Close() error {
	if c.closed.Swap(true) {
		return nil
	}
	c.unhold()
	return nil
}

// Shutdown ends the pipe for every process and both directions, whoever
// holds its ends: sends fail with an error wrapping ErrShutdown and
// os.ErrClosed, receives drain what was sent, then get io.EOF. It does
// not close this handle (Close does). Idempotent.
func (c *Conn) Shutdown() error {
	for _, r := range []*Ring{c.p.a, c.p.b} {
		if r != nil {
			r.shutdown()
		}
	}
	return nil
}

// The encoding of a Conn: the pipe's shm.Handle, then the pending entry
// that holds the end for whoever attaches it (see pipe_holders.go), then
// the end number.
//
//	handle | idx uint32 | token uint64 | end uint8
const connTrailer = 4 + 8 + 1

// MarshalBinary encodes the end as the pipe's handle, so a *Conn travels
// to a child started by package process. From now on the end is held on
// behalf of whoever attaches the encoding (once; later attaches hold the
// end afresh): this process may Close its own handle at once. An encoding
// that no process attaches within five minutes (or before this process
// dies) stops holding the end.
func (c *Conn) MarshalBinary() ([]byte, error) {
	if c.closed.Load() {
		return nil, c.errClosed
	}
	if c.p.obj == nil {
		return nil, fmt.Errorf("pipe in plain memory: no handle: %w", os.ErrInvalid)
	}
	b, err := c.p.obj.Handle().MarshalBinary()
	if err != nil {
		return nil, err
	}
	me, err := owner.SelfID()
	if err != nil {
		return nil, err
	}
	t, err := c.p.makePending(int(c.end), me, time.Duration(pendingTTL.Load()))
	if err != nil {
		return nil, err
	}
	b = binary.LittleEndian.AppendUint32(b, uint32(t.idx))
	b = binary.LittleEndian.AppendUint64(b, t.tok)
	return append(b, c.end), nil
}

// UnmarshalBinary attaches the pipe end a MarshalBinary encoding names:
// this process holds the end from now on, until it closes the handle.
func (c *Conn) UnmarshalBinary(b []byte) error {
	n := len(b) - connTrailer
	if n < 1 || b[len(b)-1] > 1 {
		return fmt.Errorf("pipe end handle of %d bytes: %w", len(b), os.ErrInvalid)
	}
	var h shm.Handle
	if err := h.UnmarshalBinary(b[:n]); err != nil {
		return err
	}
	t := token{idx: int(binary.LittleEndian.Uint32(b[n:])), tok: binary.LittleEndian.Uint64(b[n+4:])}
	obj, err := shm.Attach(h, shm.KindPipe, pipeVersion)
	if err != nil {
		return err
	}
	p, err := pipeFrom(obj)
	if err != nil {
		return err
	}
	nc := p.end(int(b[len(b)-1]))
	if err := nc.hold(&t); err != nil {
		return err
	}
	c.p, c.end, c.send, c.recv, c.errClosed, c.held = nc.p, nc.end, nc.send, nc.recv, nc.errClosed, nc.held
	c.left = nil
	c.closed.Store(false)
	return nil
}

// isNilPointer reports whether v is a nil pointer.
func isNilPointer(v any) bool {
	rv := reflect.ValueOf(v)
	return rv.Kind() == reflect.Pointer && rv.IsNil()
}

// setZero sets what v (a non-nil pointer) points to to its zero value.
func setZero(v any) error {
	rv := reflect.ValueOf(v)
	if rv.Kind() != reflect.Pointer || rv.IsNil() {
		return fmt.Errorf("recv into %T: not a pointer: %w", v, os.ErrInvalid)
	}
	rv.Elem().SetZero()
	return nil
}
