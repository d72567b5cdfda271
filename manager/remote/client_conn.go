package remote

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"os"
	"time"

	"github.com/shmkit/shmkit/manager/table"
)

// A Client's shared connection: requests go out in the order calls make
// them, and the server answers them in that order, so replies are read in
// order by one goroutine at a time, the holder of the read turn
// (clientConn.reading, under Client.mu):
//
//   - readNone: no call waits for a reply. The next call takes the turn
//     itself: it writes and flushes its request and reads its reply on its
//     own goroutine (readOwn). One request at a time, the common case,
//     costs a write and a read and no hand-over between goroutines, the
//     same as a bare request/response over TCP.
//   - readDirect: a call is reading its own reply that way. Calls made
//     meanwhile queue behind it and wait (call.done); when it has its
//     reply and finds calls queued, it starts the reader goroutine.
//   - readLoop: the reader goroutine (readLoop) hands each reply to the
//     call queued first, until none is left; then it gives the turn back
//     (readNone) and ends. Calls that come meanwhile only write and queue:
//     many goroutines pipeline on one connection.
//
// A call whose context ends stops waiting; its reply stays due, and the
// holder of the turn reads it and drops it. So when the turn is free,
// every call still queued has been given up (no caller waits without a
// reader), and the next direct reader reads and drops their replies
// before its own.
//
// A direct reader's own context ending must stop its read: context.AfterFunc
// sets a read deadline in the past, and replyReader keeps the part of the
// frame read so far, so that the next holder of the turn goes on from the
// same byte. The AfterFunc stays registered after the call (wakeOn), so a
// caller that makes its calls with one context registers once, not at
// every call. A deadline error therefore is not a failure: the holder whose
// context is alive clears the deadline and reads on (it may be the late
// wake-up of a direct reader that had already finished). The obvious but
// wrong version, readFrame's io.ReadFull interrupted by the deadline,
// loses the bytes it had read and every later reply is misread.
//
// Any other read error fails every queued call and closes the connection;
// the next call dials again. So that this happens when the server closes
// a connection that idles past its IdleTimeout, not when a request goes
// out on it (a read-only call would be sent again, but a write would fail
// with an error that leaves open whether it happened), a connection whose
// turn has been free for watchIdle is watched: a timer (idleCheck) starts
// the reader goroutine on it, which waits for the end of the stream, or
// for the reply of the next call, which then queues behind it as in a
// pipeline. The timer runs only while the turn is free: the call that
// gives the turn back re-arms it if it had stopped.
const (
	readNone = iota
	readDirect
	readLoop
)

// watchIdle is how long a connection's read turn stays free before the
// reader goroutine watches it.
const watchIdle = 100 * time.Millisecond

type clientConn struct {
	conn net.Conn

	// Under Client.mu.
	w         *bufio.Writer
	buf       []byte
	queue     []*call // calls whose replies are due, in write order, from head
	head      int
	reading   int
	lastWrite time.Time
	watch     *time.Timer // idleCheck's
	armed     bool        // watch will fire
	wakeCtx   context.Context
	wakeStop  func() bool // wakeCtx's AfterFunc

	// The holder of the read turn's only.
	rr replyReader
}

type call struct {
	done chan struct{} // closed when f or err is set; nil for a direct reader's own call
	f    frame
	err  error
}

// newClientConn makes the shared connection; c.mu is held.
func (c *Client) newClientConn(conn net.Conn) *clientConn {
	cn := &clientConn{
		conn: conn, w: bufio.NewWriterSize(conn, 64<<10), lastWrite: time.Now(), armed: true,
		rr: replyReader{r: bufio.NewReaderSize(conn, 64<<10), max: c.maxFrame},
	}
	cn.watch = time.AfterFunc(watchIdle, func() { c.idleCheck(cn) })
	return cn
}

// idleCheck starts the reader goroutine on cn if its turn has been free
// for watchIdle, else waits again, or stops while someone reads.
func (c *Client) idleCheck(cn *clientConn) {
	c.mu.Lock()
	if c.cn != cn {
		c.mu.Unlock()
		return
	}
	idle := time.Since(cn.lastWrite)
	switch {
	case cn.reading != readNone:
		cn.armed = false // giveBack re-arms it
	case idle < watchIdle:
		cn.watch.Reset(watchIdle - idle)
	default:
		cn.armed = false
		cn.reading = readLoop
		c.mu.Unlock()
		c.readLoop(cn)
		return
	}
	c.mu.Unlock()
}

// giveBack frees the read turn (c.mu held), re-arming the idle watch.
func (c *Client) giveBack(cn *clientConn) {
	cn.reading = readNone
	if !cn.armed && c.cn == cn {
		cn.armed = true
		cn.watch.Reset(watchIdle)
	}
}

func (cn *clientConn) due() int { return len(cn.queue) - cn.head }

func (cn *clientConn) push(cl *call) {
	if cn.head > 64 && 2*cn.head >= len(cn.queue) {
		n := copy(cn.queue, cn.queue[cn.head:])
		clear(cn.queue[n:])
		cn.queue, cn.head = cn.queue[:n], 0
	}
	cn.queue = append(cn.queue, cl)
}

// pop returns the call whose reply comes next, or nil if none is due.
func (cn *clientConn) pop() *call {
	if cn.due() == 0 {
		return nil
	}
	cl := cn.queue[cn.head]
	cn.queue[cn.head] = nil
	if cn.head++; cn.head == len(cn.queue) {
		cn.queue, cn.head = cn.queue[:0], 0
	}
	return cl
}

// deliver hands cl its reply or error (c.mu held).
func (cl *call) deliver(f frame, err error) {
	cl.f, cl.err = f, err
	if cl.done != nil {
		close(cl.done)
	}
}

// send writes a request and queues its call; direct reports that the call
// holds the read turn and must read its reply itself (readOwn), else it
// waits for the reader goroutine (wait). Writes are batched: a writer
// flushes only when no other call waits to write, and the last one does
// (a direct reader always flushes: it reads next).
func (c *Client) send(ctx context.Context, op byte, fields [][]byte) (cn *clientConn, cl *call, direct bool, err error) {
	c.writers.Add(1)
	c.mu.Lock()
	defer c.mu.Unlock()
	last := c.writers.Add(-1) == 0
	if c.closed {
		return nil, nil, false, fmt.Errorf("manager client: %w", os.ErrClosed)
	}
	if c.cn == nil {
		if err := c.connect(ctx); err != nil {
			return nil, nil, false, err
		}
	}
	cn = c.cn
	cn.buf = appendFrame(cn.buf[:0], op, fields...)
	_, err = cn.w.Write(cn.buf)
	if cap(cn.buf) > 1<<20 {
		cn.buf = nil
	}
	cl = &call{}
	if direct = cn.reading == readNone; !direct {
		cl.done = make(chan struct{})
	}
	if err == nil && (direct || last || cn.w.Buffered() > 32<<10 || cn.due() > maxPending) {
		err = cn.w.Flush()
	}
	if err != nil {
		c.drop(cn) // the turn's holder, if any, fails the queued calls
		return nil, nil, false, fmt.Errorf("manager %s: %w", c.addr, err)
	}
	if direct {
		cn.reading = readDirect
		cn.wakeOn(ctx)
	}
	cn.push(cl)
	cn.lastWrite = time.Now()
	return cn, cl, direct, nil
}

// maxPending is how many replies may be due before a writer flushes
// whatever the other writers do.
const maxPending = 512

// wait waits for the reply of a queued call, or for ctx's end (the reply,
// when it comes, is dropped).
func (cl *call) wait(ctx context.Context) (frame, error) {
	select {
	case <-cl.done:
		return cl.f, cl.err
	case <-ctx.Done():
		return frame{}, ctx.Err()
	}
}

// wakeOn makes the end of ctx wake the direct reader (c.mu held): one
// AfterFunc per context, kept for the next calls made with it. Its
// wake-up may find another reader, or none: a deadline error is then read
// past (readOwn, readLoop).
func (cn *clientConn) wakeOn(ctx context.Context) {
	if ctx == cn.wakeCtx || ctx.Done() == nil {
		return
	}
	cn.stopWake()
	cn.wakeCtx = ctx
	cn.wakeStop = context.AfterFunc(ctx, func() { cn.conn.SetReadDeadline(aLongTimeAgo) })
}

// stopWake unregisters wakeOn's AfterFunc (c.mu held), so that a context
// that outlives the connection does not keep it.
func (cn *clientConn) stopWake() {
	if cn.wakeStop != nil {
		cn.wakeStop()
	}
	cn.wakeCtx, cn.wakeStop = nil, nil
}

// readOwn reads replies until cl's, holding the read turn (see above).
func (c *Client) readOwn(ctx context.Context, cn *clientConn, cl *call) (frame, error) {
	for {
		f, err := cn.rr.next()
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) && ctx.Err() == nil {
				cn.conn.SetReadDeadline(time.Time{}) // a late or stray wake-up: read on
				continue
			}
			if errors.Is(err, os.ErrDeadlineExceeded) {
				return frame{}, c.giveUp(cn, cl, ctx.Err())
			}
			return frame{}, c.fail(cn, err)
		}
		c.mu.Lock()
		got := cn.pop()
		if got == nil || got == cl {
			c.handOn(cn)
		}
		if got != cl && got != nil {
			got.deliver(f, nil) // a reply given up before ours: dropped
			c.mu.Unlock()
			continue
		}
		c.mu.Unlock()
		if got == nil {
			return frame{}, c.fail(cn, fmt.Errorf("a reply to no request: %w", ErrProtocol))
		}
		return f, nil
	}
}

// handOn gives up the read turn after the holder's own reply: to the
// reader goroutine if calls are queued behind it (c.mu held).
func (c *Client) handOn(cn *clientConn) {
	if cn.due() == 0 {
		c.giveBack(cn)
		return
	}
	cn.reading = readLoop
	go c.readLoop(cn)
}

// giveUp lets go of the read turn of a direct reader whose context ended
// before its reply came: the reply stays due, and is dropped when read.
func (c *Client) giveUp(cn *clientConn, cl *call, err error) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if cn.due() > 0 && cn.queue[len(cn.queue)-1] != cl {
		cn.reading = readLoop // calls queued after ours wait for their replies
		go c.readLoop(cn)
	} else {
		c.giveBack(cn)
	}
	return err
}

// readLoop is the reader goroutine: it hands replies to the queued calls
// in order until none is due, then gives the read turn back.
func (c *Client) readLoop(cn *clientConn) {
	for {
		f, err := cn.rr.next()
		if errors.Is(err, os.ErrDeadlineExceeded) {
			cn.conn.SetReadDeadline(time.Time{}) // a direct reader's wake-up
			continue
		}
		if err != nil {
			c.fail(cn, err)
			return
		}
		c.mu.Lock()
		cl := cn.pop()
		if cl == nil {
			c.mu.Unlock()
			c.fail(cn, fmt.Errorf("a reply to no request: %w", ErrProtocol))
			return
		}
		cl.deliver(f, nil)
		if cn.due() == 0 {
			c.giveBack(cn)
			c.mu.Unlock()
			return
		}
		c.mu.Unlock()
	}
}

// fail ends cn after a read error: every queued call fails with it, the
// connection closes, and the next call dials again.
func (c *Client) fail(cn *clientConn, err error) error {
	if errors.Is(err, net.ErrClosed) {
		err = os.ErrClosed
	}
	err = fmt.Errorf("manager %s: %w", c.addr, err)
	c.mu.Lock()
	if c.cn == cn {
		c.cn = nil
	}
	for cl := cn.pop(); cl != nil; cl = cn.pop() {
		cl.deliver(frame{}, err)
	}
	cn.reading = readNone
	cn.watch.Stop()
	cn.stopWake()
	c.mu.Unlock()
	cn.conn.Close()
	return err
}

// drop stops new calls from using cn and closes it (c.mu held): its
// reader, if any, then fails the calls queued on it.
func (c *Client) drop(cn *clientConn) {
	if c.cn == cn {
		c.cn = nil
	}
	cn.watch.Stop()
	cn.stopWake()
	cn.conn.Close()
}

// aLongTimeAgo is a deadline in the past: it wakes a read at once.
var aLongTimeAgo = time.Unix(1, 0)

// replyReader reads reply frames, and can be stopped (a deadline) between
// any two reads and resumed without losing a byte: the frame in progress
// stays here. Its memory grows as readFrame's does, with the bytes that
// arrive. Each frame gets a buffer of its own: a reply belongs to its
// caller.
type replyReader struct {
	r   *bufio.Reader
	max int
	hdr [4]byte
	nh  int    // bytes of hdr read
	buf []byte // the body so far
}

func (rr *replyReader) next() (frame, error) {
	for rr.nh < len(rr.hdr) {
		m, err := rr.r.Read(rr.hdr[rr.nh:])
		rr.nh += m
		if err != nil {
			return frame{}, err
		}
	}
	n := int(binary.LittleEndian.Uint32(rr.hdr[:]))
	if uint64(n) > uint64(rr.max) {
		return frame{}, fmt.Errorf("frame of %d bytes (limit %d): %w", n, rr.max, table.ErrTooLarge)
	}
	for len(rr.buf) < n {
		if len(rr.buf) == cap(rr.buf) {
			b := make([]byte, len(rr.buf), min(n, max(2*len(rr.buf), frameChunk)))
			copy(b, rr.buf)
			rr.buf = b
		}
		m, err := rr.r.Read(rr.buf[len(rr.buf):min(n, cap(rr.buf))])
		rr.buf = rr.buf[:len(rr.buf)+m]
		if err != nil {
			return frame{}, err
		}
	}
	body := rr.buf
	rr.buf, rr.nh = nil, 0
	return parseFrame(body)
}
