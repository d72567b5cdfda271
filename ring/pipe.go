package ring

import (
	"fmt"
	"os"
	"sync/atomic"

	"github.com/shmkit/shmkit/internal/owner"
	"github.com/shmkit/shmkit/shm"
)

// pipe is the shared part of both ends: ring a carries end 1's sends to
// end 0 (and, simplex, the only direction: end 1 writes, end 0 reads);
// ring b carries end 0's sends to end 1. Its geometry is read once from
// the header, validated and kept here.
type pipe struct {
	obj  *shm.Object // nil for a pipe laid out in plain memory (tests)
	mem  []byte
	h    *pipeHdr
	g    pipeGeometry
	a, b *Ring
	errs objErrors
}

// pipeDir ties a Ring inside a pipe to the pipe: which end writes it,
// which end reads it, and the locks of its two sides. A Ring's waits ask
// the pipe's holder tables, not the Ring's own owner words, who is at the
// other end (see pipe_holders.go).
type pipeDir struct {
	p                  *pipe
	writer, reader     int
	prodLock, consLock *owner.Lock
}

// NewPipe allocates a pipe called name in seg and returns its two ends,
// like Python's multiprocessing.Pipe. Duplex, each end sends and receives;
// simplex, c1 only receives and c2 only sends. Options.Capacity sizes each
// direction's ring (default 1 MiB); Options.Participants, how many
// processes may hold each end at once (default 128).
//
// This process holds both ends. An end passed to a child (a Conn marshals
// as its handle) is held by the child too, from the moment it is encoded;
// Close the copy this process does not use, as in Python: a reader sees
// io.EOF only once every holder of the other end has closed it (or died).
func NewPipe(seg *shm.Segment, name string, duplex bool, opts *Options) (c1, c2 *Conn, err error) {
	p, err := newPipe(seg, name, duplex, opts)
	if err != nil {
		return nil, nil, err
	}
	return p.attach2()
}

// newPipe allocates a pipe that no process holds yet.
func newPipe(seg *shm.Segment, name string, duplex bool, opts *Options) (*pipe, error) {
	o := opts.orDefault()
	capacity, err := pow2("pipe capacity", o.Capacity, defaultRingCap, minRingCap, maxRingCap)
	if err != nil {
		return nil, err
	}
	holders := o.Participants
	if holders == 0 {
		holders = defaultHolders
	}
	if holders < 1 || holders > maxHolders {
		return nil, fmt.Errorf("pipe %q: participants %d: must be 1..%d: %w", name, holders, maxHolders, errInvalid)
	}
	g := pipeGeometry{holders: holders, rings: 1, capacity: capacity}
	if duplex {
		g.rings = 2
	}
	obj, err := seg.AllocObject(name, shm.KindPipe, pipeVersion, g.size(), lineSize, func(b []byte) {
		initPipe(b, g, o.Mode)
	})
	if err != nil {
		return nil, allocError("pipe", name, err)
	}
	return pipeFrom(obj)
}

// OpenPipe finds the pipe called name in seg and returns its two ends,
// both held by this process from now on: Close the one it does not use.
func OpenPipe(seg *shm.Segment, name string) (c1, c2 *Conn, err error) {
	obj, err := seg.LookupKind(name, shm.KindPipe, pipeVersion)
	if err != nil {
		return nil, nil, err
	}
	p, err := pipeFrom(obj)
	if err != nil {
		return nil, nil, err
	}
	return p.attach2()
}

// attach2 returns both ends, held by this process.
func (p *pipe) attach2() (c1, c2 *Conn, err error) {
	c1, c2 = p.end(0), p.end(1)
	if err := c1.hold(nil); err != nil {
		return nil, nil, err
	}
	if err := c2.hold(nil); err != nil {
		c1.Close()
		return nil, nil, err
	}
	return c1, c2, nil
}

// pipeFrom validates a pipe object and builds its rings.
func pipeFrom(obj *shm.Object) (*pipe, error) {
	p, err := pipeBytes(obj.Bytes())
	if err != nil {
		return nil, err
	}
	p.obj = obj
	p.setErrs(fmt.Sprintf("pipe %q", obj.Name()))
	return p, nil
}

// pipeBytes validates a pipe in b; the caller sets obj. Nothing read from
// the header is trusted: the geometry must fit b, and is kept privately.
func pipeBytes(b []byte) (*pipe, error) {
	if len(b) < pipeHdrSize {
		return nil, corrupt("pipe of %d bytes", len(b))
	}
	h := asPipeHdr(b)
	capacity, duplex, holders := h.capacity, h.duplex, h.holders
	if h.magic != pipeMagic || h.version != pipeVersion || duplex > 1 {
		return nil, corrupt("pipe header magic %#x version %d", h.magic, h.version)
	}
	if holders < 1 || holders > maxHolders {
		return nil, corrupt("pipe of %d holders per end", holders)
	}
	rings := 1 + int(duplex)
	if capacity < minRingCap || capacity > maxRingCap || capacity&(capacity-1) != 0 {
		return nil, corrupt("pipe capacity %d in %d bytes", capacity, len(b))
	}
	g := pipeGeometry{holders: int(holders), rings: rings, capacity: int(capacity)}
	if g.size() > len(b) {
		return nil, corrupt("pipe capacity %d in %d bytes", capacity, len(b))
	}
	p := &pipe{mem: b, h: h, g: g}
	rs := ringHdrSize + g.capacity
	var err error
	for i, r := range []**Ring{&p.a, &p.b}[:rings] {
		off := g.ringOff(i)
		if *r, err = ringFrom(nil, b[off:off+rs:off+rs]); err != nil {
			return nil, err
		}
	}
	// Ring a: end 1 writes (locks 0), end 0 reads (locks 1); ring b: end 0
	// writes (locks 2), end 1 reads (locks 3).
	p.a.dir = &pipeDir{p: p, writer: 1, reader: 0, prodLock: &h.locks[0].lock, consLock: &h.locks[1].lock}
	if p.b != nil {
		p.b.dir = &pipeDir{p: p, writer: 0, reader: 1, prodLock: &h.locks[2].lock, consLock: &h.locks[3].lock}
	}
	p.setErrs("pipe")
	return p, nil
}

// setErrs names the pipe in its rings' errors (`pipe "p" closed`).
func (p *pipe) setErrs(what string) {
	p.errs = newObjErrors(what)
	for _, r := range []*Ring{p.a, p.b} {
		if r != nil {
			r.errs = p.errs
		}
	}
}

// end returns a handle on end 0 or 1 of the pipe that holds nothing yet
// (see Conn.hold).
func (p *pipe) end(i int) *Conn {
	c := &Conn{p: p, end: uint8(i)}
	switch {
	case i == 0 && p.b != nil:
		c.recv, c.send = p.a, p.b
	case i == 0:
		c.recv = p.a
	case p.b != nil:
		c.recv, c.send = p.b, p.a
	default:
		c.send = p.a
	}
	c.errClosed = newObjError(fmt.Sprintf("%s end %d: handle closed", p.errs.what, i), os.ErrClosed)
	return c
}

// Conn is one end of a Pipe: Python's multiprocessing.connection.
// Connection. Any number of goroutines and processes may use one end: the
// calls that send on it take turns, and so do the calls that receive (see
// pipe_lock.go); a send and a receive run at once. Each message goes to
// one receiver, whole.
//
// Close lets go of this handle only; the pipe ends for a receiver once
// every process holding the other end has closed it or died (io.EOF, or
// an error wrapping ErrPeerDead when one died). Shutdown ends it for
// every process.
type Conn struct {
	p          *pipe
	end        uint8
	send, recv *Ring       // nil where this end cannot
	left       []byte      // the rest of a message Read returned in part
	partial    atomic.Bool // len(left) > 0, for Wait
	held       bool        // this handle counts in the process's hold on its end
	closed     atomic.Bool // Close was called on this handle
	errClosed  error
	sendSpin   owner.Spinner
	recvSpin   owner.Spinner
	rdl, wdl   deadline // Read's and Write's (SetDeadline)
}
