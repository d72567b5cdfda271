package remote

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"runtime/debug"
	"sync"
	"syscall"
	"time"

	"github.com/shmkit/shmkit/manager/table"
	"github.com/shmkit/shmkit/ring"
	"github.com/shmkit/shmkit/shm"
)

// A Source holds the segment whose dicts a Server serves: a
// *manager.Manager is one (this package cannot name it: manager imports
// remote).
type Source interface {
	Segment() *shm.Segment
}

// Server serves a Manager's dicts over a listener to clients that know the
// auth key (Dial, Dict). Set the fields, then call Serve; a zero
// limit takes its default.
type Server struct {
	// Manager holds the dicts served: a *manager.Manager, or any Source.
	// An Open request with options creates a dict in its segment.
	Manager Source
	// AuthKey is the shared secret; it must not be empty.
	AuthKey []byte
	// MaxFrame bounds a request and a reply (default DefaultMaxFrame).
	MaxFrame int
	// IdleTimeout closes a connection that sends nothing (or stalls in the
	// middle of a frame, or does not read its replies) for this long, or
	// up to an eighth longer (default 5 minutes): the deadline moves
	// lazily, not at every request (deadline.go).
	IdleTimeout time.Duration
	// HandshakeTimeout bounds authentication (default 10 s).
	HandshakeTimeout time.Duration
	// RequestTimeout bounds one operation on a dict (default 30 s).
	RequestTimeout time.Duration
	// MaxConns bounds concurrent connections; more are closed on accept
	// (default 1024).
	MaxConns int
	// ErrorLog, if set, receives one line per refused or failed
	// connection (never the key or request contents).
	ErrorLog *log.Logger
	// MaxObjects bounds the objects of registered types that clients
	// have created and not released (default 1024).
	MaxObjects int

	mu     sync.RWMutex
	dicts  map[string]*table.Dict // by name, opened once
	queues map[string]*ring.MPMC  // by name, opened once
	reg    registry               // registered types and their objects (object_server.go)
}

func (s *Server) defaults() {
	if s.MaxFrame <= 0 {
		s.MaxFrame = DefaultMaxFrame
	}
	if s.IdleTimeout <= 0 {
		s.IdleTimeout = 5 * time.Minute
	}
	if s.HandshakeTimeout <= 0 {
		s.HandshakeTimeout = DefaultHandshakeTimeout
	}
	if s.RequestTimeout <= 0 {
		s.RequestTimeout = 30 * time.Second
	}
	if s.MaxConns <= 0 {
		s.MaxConns = 1024
	}
	if s.MaxObjects <= 0 {
		s.MaxObjects = 1024
	}
}

// Serve accepts connections on ln until ctx ends, then closes ln and every
// connection and returns ctx's error after the handlers have finished.
//
// An Accept that fails does not stop the server: out of descriptors
// (EMFILE, ENFILE), of buffers or memory (ENOBUFS, ENOMEM), an aborted
// connection, a timeout or any other error not known to be final, it logs
// the error, waits (5 ms, doubling up to 1 s, as net/http does; reset by
// the next connection) and accepts again. Only a listener that is closed
// (net.ErrClosed), or one the kernel says is no listening socket at all
// (EBADF, EINVAL, ENOTSOCK), ends Serve with Accept's error; that closes
// every connection too.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	if len(s.AuthKey) == 0 || s.Manager == nil || s.Manager.Segment() == nil {
		return fmt.Errorf("manager server needs a Manager and a non-empty auth key: %w", os.ErrInvalid)
	}
	s.defaults()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	var mu sync.Mutex
	conns := map[net.Conn]struct{}{}
	stop := context.AfterFunc(ctx, func() {
		ln.Close()
		mu.Lock()
		for c := range conns {
			c.Close()
		}
		mu.Unlock()
	})
	defer stop()
	defer wg.Wait()
	var delay time.Duration // the backoff after a failed Accept
	for {
		c, err := ln.Accept()
		if err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			if acceptFinal(err) {
				s.logf("accept: %v: stopping", err)
				cancel()
				return err
			}
			delay = min(max(2*delay, acceptBackoffMin), acceptBackoffMax)
			s.logf("accept: %v; retrying in %v", err, delay)
			t := time.NewTimer(delay)
			select {
			case <-t.C:
			case <-ctx.Done():
				t.Stop()
				return ctx.Err()
			}
			continue
		}
		delay = 0
		mu.Lock()
		if len(conns) >= s.MaxConns || ctx.Err() != nil {
			mu.Unlock()
			c.Close()
			s.logf("refusing %s: %d connections", c.RemoteAddr(), s.MaxConns)
			continue
		}
		conns[c] = struct{}{}
		mu.Unlock()
		wg.Add(1)
		go func() {
			defer wg.Done()
			s.handle(ctx, c)
			c.Close()
			mu.Lock()
			delete(conns, c)
			mu.Unlock()
		}()
	}
}

// The backoff after a failed Accept, as net/http's.
const (
	acceptBackoffMin = 5 * time.Millisecond
	acceptBackoffMax = time.Second
)

// acceptFinal reports whether an Accept error means the listener will
// never accept again: it is closed, or not a listening socket. Anything
// else may pass (running out of descriptors, buffers or memory, a
// connection reset or aborted while queued, a timeout, a transient
// network error the kernel reports on accept) and is retried.
func acceptFinal(err error) bool {
	return errors.Is(err, net.ErrClosed) || errors.Is(err, syscall.EBADF) ||
		errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.ENOTSOCK)
}

func (s *Server) logf(format string, args ...any) {
	if s.ErrorLog != nil {
		s.ErrorLog.Printf("manager: "+format, args...)
	}
}

// handle runs one connection: the handshake, then requests until the
// client leaves, idles out, or sends something that cannot be framed.
// A request that parses but is wrong gets an error reply and the
// connection goes on. A panic in a handler (a bug) ends this connection
// only.
func (s *Server) handle(ctx context.Context, c net.Conn) {
	defer func() {
		if r := recover(); r != nil {
			s.logf("connection from %s: panic: %v\n%s", c.RemoteAddr(), r, debug.Stack())
		}
	}()
	if err := serverHandshake(c, s.AuthKey, s.HandshakeTimeout); err != nil {
		s.logf("connection from %s: %v", c.RemoteAddr(), err)
		return
	}
	r := bufio.NewReaderSize(c, 64<<10)
	w := bufio.NewWriterSize(c, 64<<10)
	dl := idleDeadline{c: c, idle: s.IdleTimeout}
	var in, out []byte
	for {
		// The deadline covers the whole next frame: a client that
		// stalls in the middle of one is cut off like an idle one.
		dl.extend()
		var f frame
		var err error
		f, in, err = readFrame(r, s.MaxFrame, in)
		if err != nil {
			if errors.Is(err, ErrProtocol) {
				// The frame was read whole: reply and go on.
				out = s.errReply(out[:0], err)
			} else {
				if !errors.Is(err, net.ErrClosed) && !errors.Is(err, io.EOF) {
					s.logf("connection from %s: %v", c.RemoteAddr(), err)
				}
				if errors.Is(err, table.ErrTooLarge) {
					// The stream cannot be resynchronised: tell, then close.
					w.Write(s.errReply(out[:0], err))
					w.Flush()
				}
				return
			}
		} else if waits(f) {
			out = s.serveWaiting(ctx, c, r, f, out[:0])
			dl.forget()
		} else {
			out = s.serve(ctx, f, out[:0])
		}
		dl.extend() // a client that does not read its replies is cut off too
		if _, err := w.Write(out); err != nil {
			return
		}
		if r.Buffered() == 0 {
			if err := w.Flush(); err != nil {
				return
			}
		}
		if cap(in) > 1<<20 {
			in = nil // do not keep a huge buffer for a connection's life
		}
		if cap(out) > 1<<20 {
			out = nil
		}
	}
}

func (s *Server) errReply(dst []byte, err error) []byte {
	msg := err.Error()
	if len(msg) > maxErrMsg { // a method's error is the user's: bound it
		msg = msg[:maxErrMsg] + "…"
	}
	return appendFrame(dst, statusErr, []byte{errCode(err)}, []byte(msg))
}

// maxErrMsg bounds the message of an error reply.
const maxErrMsg = 4 << 10

func (s *Server) dict(name []byte, opts *table.Options) (*table.Dict, error) {
	s.mu.RLock()
	d, ok := s.dicts[string(name)] // no allocation for a lookup
	s.mu.RUnlock()
	if ok {
		return d, nil
	}
	seg, n := s.Manager.Segment(), string(name)
	var err error
	if opts != nil {
		d, err = table.NewDict(seg, n, opts)
	}
	if opts == nil || errors.Is(err, os.ErrExist) {
		d, err = table.OpenDict(seg, n) // an Open without options: it must exist
	}
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	if s.dicts == nil {
		s.dicts = map[string]*table.Dict{}
	}
	s.dicts[string(name)] = d
	s.mu.Unlock()
	return d, nil
}

// wantFields is the number of fields each op takes (-1: variable).
var wantFields = [opCount]int{
	opOpen: 2, opGet: 2, opSet: 3, opDelete: 2, opContains: 2, opLen: 1, opPop: 2,
	opSetDefault: 3, opCAS: 4, opCAD: 3, opSetMany: -1, opClear: 1, opSnapshot: 1, opPopItem: 1,
	opQOpen: 2, opQPut: 3, opQGet: 2, opQLen: 1,
	opCreate: 1, opCall: 3, opRelease: 1,
}

// serve runs one request and appends its reply to dst.
func (s *Server) serve(ctx context.Context, f frame, dst []byte) []byte {
	if f.op == 0 || int(f.op) >= opCount {
		return s.errReply(dst, fmt.Errorf("unknown op %d: %w", f.op, ErrProtocol))
	}
	n := wantFields[f.op]
	if (n >= 0 && len(f.fields) != n) || (n < 0 && (len(f.fields) < 1 || len(f.fields)%2 != 1)) {
		return s.errReply(dst, fmt.Errorf("op %d with %d fields: %w", f.op, len(f.fields), ErrProtocol))
	}
	rctx := newRequestCtx(ctx, s.RequestTimeout)
	defer rctx.release()
	ctx = rctx
	var reply []byte
	var err error
	switch {
	case f.op >= opCreate:
		reply, err = s.serveObject(ctx, f, dst)
	case f.op >= opQOpen:
		reply, err = s.serveQueue(ctx, f, dst)
	default:
		reply, err = s.serveDict(ctx, f, dst)
	}
	if err != nil {
		return s.errReply(dst, err)
	}
	if len(reply)-len(dst) > s.MaxFrame {
		return s.errReply(dst, fmt.Errorf("reply of %d bytes over the frame limit %d: %w", len(reply)-len(dst), s.MaxFrame, table.ErrTooLarge))
	}
	return reply
}

func (s *Server) serveDict(ctx context.Context, f frame, dst []byte) ([]byte, error) {
	var opts *table.Options
	if f.op == opOpen {
		var err error
		if opts, err = decodeOptions(f.fields[1]); err != nil {
			return nil, err
		}
	}
	d, err := s.dict(f.fields[0], opts)
	if err != nil {
		return nil, err
	}
	return s.do(ctx, d, f, dst)
}

func yesNo(ok bool) byte {
	if ok {
		return statusOK
	}
	return statusNo
}

func (s *Server) do(ctx context.Context, d *table.Dict, f frame, dst []byte) ([]byte, error) {
	a := f.fields
	// The key as a string without a copy: it aliases the request buffer,
	// which outlives this call, and the dict copies what it keeps.
	key := func() string { return unsafeString(a[1]) }
	switch f.op {
	case opOpen, opClear:
		if f.op == opClear {
			if err := d.Clear(ctx); err != nil {
				return nil, err
			}
		}
		return appendFrame(dst, statusOK), nil
	case opGet:
		// Append the value straight into the reply: one copy.
		start := len(dst)
		dst = appendFrame(dst, statusOK, nil)
		dst, ok, err := d.GetAppend(ctx, key(), dst)
		if err != nil || !ok {
			return appendFrame(dst[:start], statusNo), err
		}
		binary.LittleEndian.PutUint32(dst[start:], uint32(len(dst)-start-4))
		binary.LittleEndian.PutUint32(dst[start+frameHeader:], uint32(len(dst)-start-frameHeader-4))
		return dst, nil
	case opSet:
		return appendFrame(dst, statusOK), d.Set(ctx, key(), a[2])
	case opDelete:
		ok, err := d.Delete(ctx, key())
		return appendFrame(dst, yesNo(ok)), err
	case opContains:
		ok, err := d.Contains(ctx, key())
		return appendFrame(dst, yesNo(ok)), err
	case opLen:
		n, err := d.Len(ctx)
		return appendFrame(dst, statusOK, binary.LittleEndian.AppendUint64(nil, uint64(n))), err
	case opPop:
		v, ok, err := d.Pop(ctx, key())
		return appendFrame(dst, yesNo(ok), v), err
	case opSetDefault:
		v, loaded, err := d.SetDefault(ctx, key(), a[2])
		return appendFrame(dst, yesNo(loaded), v), err
	case opCAS:
		ok, err := d.CompareAndSwap(ctx, key(), a[2], a[3])
		return appendFrame(dst, yesNo(ok)), err
	case opCAD:
		ok, err := d.CompareAndDelete(ctx, key(), a[2])
		return appendFrame(dst, yesNo(ok)), err
	case opSetMany:
		m := make(map[string][]byte, len(a)/2)
		for i := 1; i < len(a); i += 2 {
			m[string(a[i])] = a[i+1]
		}
		return appendFrame(dst, statusOK), d.SetMany(ctx, m)
	case opPopItem:
		k, v, ok, err := d.PopItem(ctx)
		if !ok {
			return appendFrame(dst, statusNo), err
		}
		return appendFrame(dst, statusOK, []byte(k), v), err
	case opSnapshot:
		m, err := d.Snapshot(ctx)
		if err != nil {
			return nil, err
		}
		if 2*len(m) >= maxFields {
			return nil, fmt.Errorf("snapshot of %d keys over the protocol's %d fields: %w", len(m), maxFields/2, table.ErrTooLarge)
		}
		fields := make([][]byte, 0, 2*len(m))
		for k, v := range m {
			fields = append(fields, []byte(k), v)
		}
		return appendFrame(dst, statusOK, fields...), nil
	}
	return nil, fmt.Errorf("op %d: %w", f.op, ErrProtocol)
}
