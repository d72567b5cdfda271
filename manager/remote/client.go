package remote

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"iter"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shmkit/shmkit/manager/table"
)

// Client is an authenticated connection to a Server, from which
// Dicts are made. It is safe for concurrent use, and pipelines:
// requests from many goroutines go out back to back on the one connection
// (written in a batch when several are ready) and their replies come back
// in order, so N goroutines get about N times the throughput of one
// without N connections.
//
// A call whose context ends stops waiting (its reply, when it comes, is
// dropped); the connection goes on. An I/O error fails every call in
// flight and closes the connection; the next call dials again and
// authenticates again.
type Client struct {
	addr     string
	key      []byte
	maxFrame int

	mu      sync.Mutex
	cn      *clientConn
	idle    []idleConn // connections for calls that wait (queue.go)
	closed  bool
	writers atomic.Int32 // calls waiting to write: the last one flushes
}

// clientConn is one connection and the calls waiting for its replies, in
// the order their requests were written (the server answers in order).
type clientConn struct {
	conn    net.Conn
	w       *bufio.Writer // under Client.mu
	buf     []byte        // under Client.mu
	pending chan *call
	gone    chan struct{} // closed when the reader stops
}

type call struct {
	done chan struct{} // closed when f or err is set
	f    frame
	err  error
}

const maxPending = 1024

// Dial connects to the manager server at addr (host:port over TCP, or
// "unix:/path" for a Unix socket on this machine) and authenticates with
// authKey; ErrAuth when either side has the wrong key.
func Dial(ctx context.Context, addr string, authKey []byte) (*Client, error) {
	if len(authKey) == 0 {
		return nil, fmt.Errorf("dialing a manager: empty auth key: %w", os.ErrInvalid)
	}
	c := &Client{addr: addr, key: append([]byte(nil), authKey...), maxFrame: DefaultMaxFrame}
	c.mu.Lock()
	defer c.mu.Unlock()
	if err := c.connect(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

// dial opens an authenticated connection.
func (c *Client) dial(ctx context.Context) (net.Conn, error) {
	var d net.Dialer
	network, addr := "tcp", c.addr
	if path, ok := strings.CutPrefix(c.addr, "unix:"); ok {
		network, addr = "unix", path
	}
	conn, err := d.DialContext(ctx, network, addr)
	if err != nil {
		return nil, fmt.Errorf("dialing manager %s: %w", c.addr, err)
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(DefaultHandshakeTimeout)
	}
	if err := clientHandshake(conn, c.key, deadline); err != nil {
		conn.Close()
		return nil, fmt.Errorf("manager %s: %w", c.addr, err)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetNoDelay(true)
	}
	return conn, nil
}

// connect dials the shared connection; c.mu is held.
func (c *Client) connect(ctx context.Context) error {
	conn, err := c.dial(ctx)
	if err != nil {
		return err
	}
	cn := &clientConn{conn: conn, w: bufio.NewWriterSize(conn, 64<<10), pending: make(chan *call, maxPending), gone: make(chan struct{})}
	c.cn = cn
	go c.readLoop(cn)
	return nil
}

// readLoop delivers replies to the calls in order, until the connection
// fails; then it fails every call still queued.
func (c *Client) readLoop(cn *clientConn) {
	r := bufio.NewReaderSize(cn.conn, 64<<10)
	var err error
	for {
		var f frame
		f, _, err = readFrame(r, c.maxFrame, nil) // a fresh buffer: the reply is the caller's
		if err != nil {
			break
		}
		cl, ok := <-cn.pending
		if !ok {
			break
		}
		cl.f = f
		close(cl.done)
	}
	close(cn.gone) // before kill: a sender may hold c.mu, waiting for room
	c.kill(cn)
	if errors.Is(err, net.ErrClosed) {
		err = os.ErrClosed
	}
	for {
		select {
		case cl := <-cn.pending:
			cl.err = fmt.Errorf("manager %s: %w", c.addr, err)
			close(cl.done)
		default:
			return
		}
	}
}

// kill marks cn dead and closes it, so that no call queues on it and the
// next call dials again.
func (c *Client) kill(cn *clientConn) {
	c.mu.Lock()
	if c.cn == cn {
		c.cn = nil
	}
	c.mu.Unlock()
	cn.conn.Close()
}

// Close closes the connections; calls in flight fail, later calls return
// os.ErrClosed.
func (c *Client) Close() error {
	c.mu.Lock()
	c.closed = true
	cn, idle := c.cn, c.idle
	c.idle = nil
	c.mu.Unlock()
	for _, ic := range idle {
		ic.conn.Close()
	}
	if cn == nil {
		return nil
	}
	c.kill(cn)
	return nil
}

// call sends one request and waits for its reply; fn runs on the reply
// (its fields belong to the caller).
func (c *Client) call(ctx context.Context, op byte, fn func(f frame) error, fields ...[]byte) error {
	if n := frameSize(fields...) - 4; n > c.maxFrame || len(fields) >= maxFields {
		return fmt.Errorf("request of %d bytes over the frame limit %d: %w", n, c.maxFrame, table.ErrTooLarge)
	}
	var cl *call
	for try := 0; ; try++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		var err error
		if cl, err = c.send(ctx, op, fields); err != nil {
			return err
		}
		select {
		case <-cl.done:
		case <-ctx.Done():
			return ctx.Err() // the reply, when it comes, is dropped
		}
		// A connection lost (say, closed by the server's idle timeout just
		// as this request went out) fails the call; a read-only request is
		// safe to send once more, on a new connection.
		if cl.err == nil || try > 0 || !readOnly(op) {
			break
		}
	}
	if cl.err != nil {
		return cl.err
	}
	f := cl.f
	switch f.op {
	case statusErr:
		return remoteError(f.fields)
	case statusOK, statusNo:
		return fn(f)
	}
	return fmt.Errorf("reply status %d: %w", f.op, ErrProtocol)
}

// send writes a request and queues its call. Writes are batched: a writer
// flushes only when no other call waits to write, and the last one does.
func (c *Client) send(ctx context.Context, op byte, fields [][]byte) (*call, error) {
	c.writers.Add(1)
	c.mu.Lock()
	defer c.mu.Unlock()
	last := c.writers.Add(-1) == 0
	if c.closed {
		return nil, fmt.Errorf("manager client: %w", os.ErrClosed)
	}
	if c.cn == nil {
		if err := c.connect(ctx); err != nil {
			return nil, err
		}
	}
	cn := c.cn
	// Queue the call first (replies come in write order), flushing to
	// make room if the queue is full: the reader only drains it as
	// replies come, and they only come for requests sent.
	cl := &call{done: make(chan struct{})}
	select {
	case cn.pending <- cl:
	default:
		err := cn.w.Flush()
		if err == nil {
			select {
			case cn.pending <- cl:
			case <-cn.gone:
				err = os.ErrClosed
			}
		}
		if err != nil {
			return nil, c.broken(cn, err)
		}
	}
	cn.buf = appendFrame(cn.buf[:0], op, fields...)
	_, err := cn.w.Write(cn.buf)
	if cap(cn.buf) > 1<<20 {
		cn.buf = nil
	}
	if err == nil && (last || cn.w.Buffered() > 32<<10 || len(cn.pending) > maxPending/2) {
		err = cn.w.Flush()
	}
	if err != nil {
		return nil, c.broken(cn, err)
	}
	return cl, nil
}

// broken drops cn after a write error (c.mu held): closing it makes the
// reader fail every queued call.
func (c *Client) broken(cn *clientConn, err error) error {
	c.cn = nil
	cn.conn.Close()
	return fmt.Errorf("manager %s: %w", c.addr, err)
}

// Dict returns a proxy for the server's dict called name, creating it there
// with opts if it does not exist (opts nil: it must exist, else an error
// wrapping os.ErrNotExist).
func (c *Client) Dict(ctx context.Context, name string, opts *table.Options) (*Dict, error) {
	d := &Dict{c: c, name: []byte(name)}
	if opts == nil {
		if _, err := d.Len(ctx); err != nil {
			return nil, err
		}
		return d, nil
	}
	err := c.call(ctx, opOpen, func(frame) error { return nil }, d.name, encodeOptions(opts))
	if err != nil {
		return nil, err
	}
	return d, nil
}

// Dict is a dict served by a Server, reached through a Client (package
// manager calls it RemoteDict): the same methods as table.Dict, each a
// network round trip, so it implements manager's Dict interface. Update
// is a compare-and-swap loop (its fn may run more than once); Keys, Values
// and Items iterate over one Snapshot. Close closes the Client.
type Dict struct {
	c    *Client
	name []byte
}

func field(f frame, i int) ([]byte, error) {
	if i >= len(f.fields) {
		return nil, fmt.Errorf("reply with %d fields, wanted %d: %w", len(f.fields), i+1, ErrProtocol)
	}
	return append([]byte{}, f.fields[i]...), nil
}

// getLike runs an op whose reply is a yes/no and maybe a value.
func (d *Dict) getLike(ctx context.Context, op byte, fields ...[]byte) (v []byte, ok bool, err error) {
	err = d.c.call(ctx, op, func(f frame) error {
		ok = f.op == statusOK
		if len(f.fields) > 0 {
			v, _ = field(f, 0)
		}
		return nil
	}, fields...)
	return v, ok, err
}

func (d *Dict) Get(ctx context.Context, key string) ([]byte, bool, error) {
	v, ok, err := d.getLike(ctx, opGet, d.name, bytesOf(key))
	if !ok {
		v = nil
	}
	return v, ok, err
}

func (d *Dict) Set(ctx context.Context, key string, val []byte) error {
	_, _, err := d.getLike(ctx, opSet, d.name, bytesOf(key), val)
	return err
}

func (d *Dict) Delete(ctx context.Context, key string) (bool, error) {
	_, ok, err := d.getLike(ctx, opDelete, d.name, bytesOf(key))
	return ok, err
}

func (d *Dict) Contains(ctx context.Context, key string) (bool, error) {
	_, ok, err := d.getLike(ctx, opContains, d.name, bytesOf(key))
	return ok, err
}

func (d *Dict) Len(ctx context.Context) (int, error) {
	v, _, err := d.getLike(ctx, opLen, d.name)
	if err != nil {
		return 0, err
	}
	if len(v) != 8 {
		return 0, fmt.Errorf("Len reply of %d bytes: %w", len(v), ErrProtocol)
	}
	return int(binary.LittleEndian.Uint64(v)), nil
}

func (d *Dict) Pop(ctx context.Context, key string) ([]byte, bool, error) {
	return d.getLike(ctx, opPop, d.name, bytesOf(key))
}

func (d *Dict) SetDefault(ctx context.Context, key string, val []byte) ([]byte, bool, error) {
	return d.getLike(ctx, opSetDefault, d.name, bytesOf(key), val)
}

func (d *Dict) CompareAndSwap(ctx context.Context, key string, old, new []byte) (bool, error) {
	_, ok, err := d.getLike(ctx, opCAS, d.name, bytesOf(key), old, new)
	return ok, err
}

func (d *Dict) CompareAndDelete(ctx context.Context, key string, old []byte) (bool, error) {
	_, ok, err := d.getLike(ctx, opCAD, d.name, bytesOf(key), old)
	return ok, err
}

func (d *Dict) PopItem(ctx context.Context) (string, []byte, bool, error) {
	var k, v []byte
	var ok bool
	err := d.c.call(ctx, opPopItem, func(f frame) error {
		if ok = f.op == statusOK; !ok {
			return nil
		}
		if len(f.fields) != 2 {
			return fmt.Errorf("PopItem reply of %d fields: %w", len(f.fields), ErrProtocol)
		}
		k, v = f.fields[0], append([]byte{}, f.fields[1]...)
		return nil
	}, d.name)
	return string(k), v, ok, err
}

// Update is a compare-and-swap loop over Get, CompareAndSwap,
// CompareAndDelete and SetDefault: fn may run several times, and gets each
// time the value then current.
func (d *Dict) Update(ctx context.Context, key string, fn func(old []byte, ok bool) ([]byte, bool)) error {
	for {
		old, ok, err := d.Get(ctx, key)
		if err != nil {
			return err
		}
		nv, keep := fn(old, ok)
		var done bool
		switch {
		case ok && keep:
			done, err = d.CompareAndSwap(ctx, key, old, nv)
		case ok:
			done, err = d.CompareAndDelete(ctx, key, old)
		case keep:
			var loaded bool
			_, loaded, err = d.SetDefault(ctx, key, nv)
			done = !loaded
		default:
			return nil
		}
		if err != nil || done {
			return err
		}
	}
}

func (d *Dict) SetMany(ctx context.Context, items map[string][]byte) error {
	fields := make([][]byte, 0, 1+2*len(items))
	fields = append(fields, d.name)
	for k, v := range items {
		fields = append(fields, bytesOf(k), v)
	}
	_, _, err := d.getLike(ctx, opSetMany, fields...)
	return err
}

func (d *Dict) Clear(ctx context.Context) error {
	_, _, err := d.getLike(ctx, opClear, d.name)
	return err
}

func (d *Dict) Snapshot(ctx context.Context) (map[string][]byte, error) {
	var m map[string][]byte
	err := d.c.call(ctx, opSnapshot, func(f frame) error {
		if len(f.fields)%2 != 0 {
			return fmt.Errorf("snapshot reply of %d fields: %w", len(f.fields), ErrProtocol)
		}
		m = make(map[string][]byte, len(f.fields)/2)
		for i := 0; i < len(f.fields); i += 2 {
			m[string(f.fields[i])] = append([]byte{}, f.fields[i+1]...)
		}
		return nil
	}, d.name)
	return m, err
}

// Items yields the entries of one Snapshot (consistent); on an error it
// yields nothing.
func (d *Dict) Items(ctx context.Context) iter.Seq2[string, []byte] {
	return func(yield func(string, []byte) bool) {
		m, _ := d.Snapshot(ctx)
		for k, v := range m {
			if !yield(k, v) {
				return
			}
		}
	}
}

func (d *Dict) Keys(ctx context.Context) iter.Seq[string]   { return keysOf(d.Items(ctx)) }
func (d *Dict) Values(ctx context.Context) iter.Seq[[]byte] { return valuesOf(d.Items(ctx)) }
func (d *Dict) Close() error                                { return d.c.Close() }
func (d *Dict) String() string                              { return fmt.Sprintf("remote dict %q at %s", d.name, d.c.addr) }

// readOnly reports whether op changes nothing, so that sending it twice is
// harmless.
func readOnly(op byte) bool {
	return op == opGet || op == opContains || op == opLen || op == opSnapshot || op == opQLen
}

func keysOf(s iter.Seq2[string, []byte]) iter.Seq[string] {
	return func(yield func(string) bool) {
		for k := range s {
			if !yield(k) {
				return
			}
		}
	}
}

func valuesOf(s iter.Seq2[string, []byte]) iter.Seq[[]byte] {
	return func(yield func([]byte) bool) {
		for _, v := range s {
			if !yield(v) {
				return
			}
		}
	}
}
