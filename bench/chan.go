package bench

import (
	"context"
	"fmt"
	"os"
	"sync"
)

// go-chan: the in-process ceiling. Messages are copied into a buffer from a
// free list and the buffer passed through a buffered channel; the receiver
// copies out and returns the buffer — the copy in and copy out every other
// transport also pays, with the cheapest possible handoff between them.

const chanDepth = 256 // buffered channel capacity, in sends

type chanLink struct {
	data [2]chan []byte // data[s]: sent by side s
	free [2]chan []byte // buffers returning to side s
	done chan struct{}  // closed by Abort
	once sync.Once
}

var chanLinks = struct {
	sync.Mutex
	next int
	m    map[int]*chanLink
}{m: map[int]*chanLink{}}

var _ = []*transport{
	addTransport(&transport{name: "go-chan", inProcess: true, batch: true, fanin: true,
		open: openChan, end: openChanEnd}),
}

func openChan(c Case) (*link, error) {
	cl := &chanLink{done: make(chan struct{})}
	for s := range 2 {
		cl.data[s] = make(chan []byte, chanDepth)
		cl.free[s] = make(chan []byte, 2*chanDepth)
	}
	chanLinks.Lock()
	chanLinks.next++
	id := chanLinks.next
	chanLinks.m[id] = cl
	chanLinks.Unlock()
	l := &link{close: func() error {
		chanLinks.Lock()
		delete(chanLinks.m, id)
		chanLinks.Unlock()
		return nil
	}}
	for s := range 2 {
		l.specs[s] = endSpec{Transport: "go-chan", Side: s, ID: id}
	}
	return l, nil
}

func openChanEnd(_ context.Context, spec endSpec, _ []*os.File) (Conn, error) {
	chanLinks.Lock()
	cl := chanLinks.m[spec.ID]
	chanLinks.Unlock()
	if cl == nil {
		return nil, fmt.Errorf("go-chan link %d not in this process", spec.ID)
	}
	return &chanConn{l: cl, side: spec.Side}, nil
}

type chanConn struct {
	l    *chanLink
	side int
}

func (c *chanConn) Send(p []byte) error {
	var buf []byte
	select {
	case buf = <-c.l.free[c.side]:
	default:
	}
	if cap(buf) < len(p) {
		buf = make([]byte, len(p))
	}
	buf = buf[:len(p)]
	copy(buf, p)
	select {
	case c.l.data[c.side] <- buf:
		return nil
	case <-c.l.done:
		return errAborted
	}
}

func (c *chanConn) Recv(p []byte) error {
	var buf []byte
	select {
	case buf = <-c.l.data[1-c.side]:
	case <-c.l.done:
		return errAborted
	}
	if len(buf) != len(p) {
		return fmt.Errorf("go-chan: got %d bytes, want %d: %w", len(buf), len(p), ErrCorrupt)
	}
	copy(p, buf)
	select {
	case c.l.free[1-c.side] <- buf:
	default:
	}
	return nil
}

func (c *chanConn) Abort()       { c.l.once.Do(func() { close(c.l.done) }) }
func (c *chanConn) Close() error { return nil }
