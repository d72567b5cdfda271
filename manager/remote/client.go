package remote

import (
	"context"
	"encoding/binary"
	"fmt"
	"iter"
	"net"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shmkit/shmkit/internal/seq"
	"github.com/shmkit/shmkit/manager/table"
)

// Client is an authenticated connection to a Server, from which
// Dicts are made. It is safe for concurrent use, and pipelines:
// requests from many goroutines go out back to back on the one connection
// (written in a batch when several are ready) and their replies come back
// in order, so N goroutines get about N times the throughput of one
// without N connections. A call made while no other is in flight reads its
// reply itself, with no hand-over between goroutines (client_conn.go).
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
	c.cn = c.newClientConn(conn)
	return nil
}

// Close closes the connections; calls in flight fail, later calls return
// os.ErrClosed.
func (c *Client) Close() error {
	c.mu.Lock()
	c.closed = true
	cn, idle := c.cn, c.idle
	c.idle = nil
	if cn != nil {
		c.drop(cn) // its reader, if any, fails the calls in flight
	}
	c.mu.Unlock()
	for _, ic := range idle {
		ic.conn.Close()
	}
	return nil
}

// call sends one request and waits for its reply; fn runs on the reply
// (its fields belong to the caller).
func (c *Client) call(ctx context.Context, op byte, fn func(f frame) error, fields ...[]byte) error {
	if n := frameSize(fields...) - 4; n > c.maxFrame || len(fields) >= maxFields {
		return fmt.Errorf("request of %d bytes over the frame limit %d: %w", n, c.maxFrame, table.ErrTooLarge)
	}
	var f frame
	for try := 0; ; try++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		cn, cl, direct, err := c.send(ctx, op, fields)
		if err != nil {
			return err
		}
		if direct {
			f, err = c.readOwn(ctx, cn, cl)
		} else {
			f, err = cl.wait(ctx)
		}
		if err == nil {
			break
		}
		// A connection lost (say, closed by the server's idle timeout just
		// as this request went out) fails the call; a read-only request is
		// safe to send once more, on a new connection.
		if ctx.Err() != nil || try > 0 || !readOnly(op) {
			return err
		}
	}
	switch f.op {
	case statusErr:
		return remoteError(f.fields)
	case statusOK, statusNo:
		return fn(f)
	}
	return fmt.Errorf("reply status %d: %w", f.op, ErrProtocol)
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

// getLike runs an op whose reply is a yes/no and maybe a value. The value
// is the reply's own field, not a copy: each reply is read into a buffer
// of its own (replyReader), and a field's capacity ends where it does.
func (d *Dict) getLike(ctx context.Context, op byte, fields ...[]byte) (v []byte, ok bool, err error) {
	err = d.c.call(ctx, op, func(f frame) error {
		ok = f.op == statusOK
		if len(f.fields) > 0 {
			v = f.fields[0]
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

func (d *Dict) Keys(ctx context.Context) iter.Seq[string]   { return seq.Keys(d.Items(ctx)) }
func (d *Dict) Values(ctx context.Context) iter.Seq[[]byte] { return seq.Values(d.Items(ctx)) }
func (d *Dict) Close() error                                { return d.c.Close() }
func (d *Dict) String() string                              { return fmt.Sprintf("remote dict %q at %s", d.name, d.c.addr) }

// readOnly reports whether op changes nothing, so that sending it twice is
// harmless.
func readOnly(op byte) bool {
	return op == opGet || op == opContains || op == opLen || op == opSnapshot || op == opQLen
}
