package manager

import (
	"bufio"
	"context"
	"encoding/binary"
	"fmt"
	"iter"
	"net"
	"os"
	"sync"
	"time"
)

// Client is an authenticated connection to a Server, from which
// RemoteDicts are made. Requests are serialised on the connection (one in
// flight; no pipelining): for parallel requests, Dial several Clients.
// A request interrupted by its context, or any I/O error, closes the
// connection; the next request dials again (and authenticates again).
// A Client is safe for concurrent use.
type Client struct {
	addr     string
	key      []byte
	maxFrame int

	mu     sync.Mutex
	conn   net.Conn
	r      *bufio.Reader
	buf    []byte
	in     []byte
	closed bool
}

// Dial connects to the manager server at addr (host:port) and
// authenticates with authKey; ErrAuth when either side has the wrong key.
func Dial(ctx context.Context, addr string, authKey []byte) (*Client, error) {
	if len(authKey) == 0 {
		return nil, fmt.Errorf("dialing a manager: empty auth key: %w", os.ErrInvalid)
	}
	c := &Client{addr: addr, key: append([]byte(nil), authKey...), maxFrame: DefaultMaxFrame}
	if err := c.connect(ctx); err != nil {
		return nil, err
	}
	return c, nil
}

func (c *Client) connect(ctx context.Context) error {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", c.addr)
	if err != nil {
		return fmt.Errorf("dialing manager %s: %w", c.addr, err)
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(DefaultHandshakeTimeout)
	}
	if err := clientHandshake(conn, c.key, deadline); err != nil {
		conn.Close()
		return fmt.Errorf("manager %s: %w", c.addr, err)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetNoDelay(true)
	}
	c.conn, c.r = conn, bufio.NewReaderSize(conn, 64<<10)
	return nil
}

// Close closes the connection; later calls return os.ErrClosed.
func (c *Client) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = true
	if c.conn == nil {
		return nil
	}
	err := c.conn.Close()
	c.conn = nil
	return err
}

// call sends one request and reads its reply. The reply's fields alias
// the client's buffer until the next call: callers copy under c.mu (they
// run inside fn).
func (c *Client) call(ctx context.Context, op byte, fn func(f frame) error, fields ...[]byte) error {
	if n := frameSize(fields...) - 4; n > c.maxFrame || len(fields) >= maxFields {
		return fmt.Errorf("request of %d bytes over the frame limit %d: %w", n, c.maxFrame, ErrTooLarge)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return fmt.Errorf("manager client: %w", os.ErrClosed)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if c.conn == nil {
		if err := c.connect(ctx); err != nil {
			return err
		}
	}
	f, err := c.roundTrip(ctx, op, fields)
	if err != nil {
		c.conn.Close()
		c.conn = nil
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return fmt.Errorf("manager %s: %w", c.addr, err)
	}
	if f.op == statusErr {
		return remoteError(f.fields)
	}
	if f.op != statusOK && f.op != statusNo {
		return fmt.Errorf("reply status %d: %w", f.op, ErrProtocol)
	}
	return fn(f)
}

func (c *Client) roundTrip(ctx context.Context, op byte, fields [][]byte) (frame, error) {
	conn := c.conn
	if dl, ok := ctx.Deadline(); ok {
		conn.SetDeadline(dl)
	} else {
		conn.SetDeadline(time.Time{})
	}
	if ctx.Done() != nil {
		stop := context.AfterFunc(ctx, func() { conn.SetDeadline(time.Unix(1, 0)) })
		defer stop()
	}
	c.buf = appendFrame(c.buf[:0], op, fields...)
	if _, err := conn.Write(c.buf); err != nil {
		return frame{}, err
	}
	if cap(c.buf) > 1<<20 {
		c.buf = nil
	}
	f, in, err := readFrame(c.r, c.maxFrame, c.in)
	if cap(in) <= 1<<20 {
		c.in = in
	}
	return f, err
}

// Dict returns a proxy for the server's Dict called name, creating it there
// with opts if it does not exist (opts nil: it must exist).
func (c *Client) Dict(ctx context.Context, name string, opts *DictOptions) (*RemoteDict, error) {
	d := &RemoteDict{c: c, name: []byte(name)}
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

// RemoteDict is a Dict served by a Server, reached through a Client: the
// same methods as LocalDict, each a network round trip. Update is a
// compare-and-swap loop (its fn may run more than once); Keys, Values and
// Items iterate over one Snapshot. Close closes the Client.
type RemoteDict struct {
	c    *Client
	name []byte
}

var _ Dict = (*RemoteDict)(nil)

func field(f frame, i int) ([]byte, error) {
	if i >= len(f.fields) {
		return nil, fmt.Errorf("reply with %d fields, wanted %d: %w", len(f.fields), i+1, ErrProtocol)
	}
	return append([]byte{}, f.fields[i]...), nil
}

// getLike runs an op whose reply is a yes/no and maybe a value.
func (d *RemoteDict) getLike(ctx context.Context, op byte, fields ...[]byte) (v []byte, ok bool, err error) {
	err = d.c.call(ctx, op, func(f frame) error {
		ok = f.op == statusOK
		if len(f.fields) > 0 {
			v, _ = field(f, 0)
		}
		return nil
	}, fields...)
	return v, ok, err
}

func (d *RemoteDict) Get(ctx context.Context, key string) ([]byte, bool, error) {
	v, ok, err := d.getLike(ctx, opGet, d.name, bytesOf(key))
	if !ok {
		v = nil
	}
	return v, ok, err
}

func (d *RemoteDict) Set(ctx context.Context, key string, val []byte) error {
	_, _, err := d.getLike(ctx, opSet, d.name, bytesOf(key), val)
	return err
}

func (d *RemoteDict) Delete(ctx context.Context, key string) (bool, error) {
	_, ok, err := d.getLike(ctx, opDelete, d.name, bytesOf(key))
	return ok, err
}

func (d *RemoteDict) Contains(ctx context.Context, key string) (bool, error) {
	_, ok, err := d.getLike(ctx, opContains, d.name, bytesOf(key))
	return ok, err
}

func (d *RemoteDict) Len(ctx context.Context) (int, error) {
	v, _, err := d.getLike(ctx, opLen, d.name)
	if err != nil {
		return 0, err
	}
	if len(v) != 8 {
		return 0, fmt.Errorf("Len reply of %d bytes: %w", len(v), ErrProtocol)
	}
	return int(binary.LittleEndian.Uint64(v)), nil
}

func (d *RemoteDict) Pop(ctx context.Context, key string) ([]byte, bool, error) {
	return d.getLike(ctx, opPop, d.name, bytesOf(key))
}

func (d *RemoteDict) SetDefault(ctx context.Context, key string, val []byte) ([]byte, bool, error) {
	return d.getLike(ctx, opSetDefault, d.name, bytesOf(key), val)
}

func (d *RemoteDict) CompareAndSwap(ctx context.Context, key string, old, new []byte) (bool, error) {
	_, ok, err := d.getLike(ctx, opCAS, d.name, bytesOf(key), old, new)
	return ok, err
}

func (d *RemoteDict) CompareAndDelete(ctx context.Context, key string, old []byte) (bool, error) {
	_, ok, err := d.getLike(ctx, opCAD, d.name, bytesOf(key), old)
	return ok, err
}

// Update is a compare-and-swap loop over Get, CompareAndSwap,
// CompareAndDelete and SetDefault: fn may run several times, and gets each
// time the value then current.
func (d *RemoteDict) Update(ctx context.Context, key string, fn func(old []byte, ok bool) ([]byte, bool)) error {
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

func (d *RemoteDict) SetMany(ctx context.Context, items map[string][]byte) error {
	fields := make([][]byte, 0, 1+2*len(items))
	fields = append(fields, d.name)
	for k, v := range items {
		fields = append(fields, bytesOf(k), v)
	}
	_, _, err := d.getLike(ctx, opSetMany, fields...)
	return err
}

func (d *RemoteDict) Clear(ctx context.Context) error {
	_, _, err := d.getLike(ctx, opClear, d.name)
	return err
}

func (d *RemoteDict) Snapshot(ctx context.Context) (map[string][]byte, error) {
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
func (d *RemoteDict) Items(ctx context.Context) iter.Seq2[string, []byte] {
	return func(yield func(string, []byte) bool) {
		m, _ := d.Snapshot(ctx)
		for k, v := range m {
			if !yield(k, v) {
				return
			}
		}
	}
}

func (d *RemoteDict) Keys(ctx context.Context) iter.Seq[string]   { return keysOf(d.Items(ctx)) }
func (d *RemoteDict) Values(ctx context.Context) iter.Seq[[]byte] { return valuesOf(d.Items(ctx)) }
func (d *RemoteDict) Close() error                                { return d.c.Close() }
func (d *RemoteDict) String() string                              { return fmt.Sprintf("remote dict %q at %s", d.name, d.c.addr) }
