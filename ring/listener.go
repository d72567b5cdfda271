package ring

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"sync/atomic"

	"github.com/shmkit/shmkit/internal/kernel"
	"github.com/shmkit/shmkit/internal/owner"
	"github.com/shmkit/shmkit/shm"
)

// Listener accepts message connections from processes that know its name
// and can open its segment (a named segment: shm.Open), related or not:
// Python's multiprocessing.connection.Listener and Client, over shared
// memory instead of a socket. Each connection is a duplex Pipe; Accept
// returns one end, Dial the other.
//
// How: the listener is an MPMC queue of connection requests (its backlog)
// whose header names the listening process. Dial allocates a pipe in the
// segment, holds one end and leaves the other pending for the listener
// (see pipe_holders.go: answered for by the listener's owner ID, so it
// never lapses while the listener lives and goes with it if it dies),
// then puts the pipe's name in the backlog. Accept takes a request and the
// pending end over.
//
// Sharp edges: a connection's pipe stays in the segment after both ends
// closed (objects are never freed), as does its directory entry: a
// segment serves as many connections over its life as its room and its
// directory allow, then Dial fails with shm.ErrFull. There is no
// authentication (Python's authkey): whoever may open the segment may
// connect; named segments are mode 0600.
type Listener struct {
	q      *MPMC
	seg    *shm.Segment
	name   string
	me     uint64
	closed atomic.Bool
	errs   objErrors
}

const (
	backlogSlots   = 128
	backlogSlot    = 64
	defaultConnCap = 64 << 10
)

// Listen starts listening for connections under name in seg.
// Options.Capacity sizes each connection's rings (default 64 KiB each
// way); Options.Mode is theirs. A name whose listener is alive is
// os.ErrExist (Python's "address already in use"); one whose listener
// closed or died is taken over, and the requests it left are refused.
func Listen(seg *shm.Segment, name string, opts *Options) (*Listener, error) {
	o := opts.orDefault()
	capacity, err := pow2("connection capacity", o.Capacity, defaultConnCap, minRingCap, maxRingCap)
	if err != nil {
		return nil, err
	}
	me, err := owner.SelfID()
	if err != nil {
		return nil, err
	}
	l := &Listener{seg: seg, name: name, me: me, errs: newObjErrors(fmt.Sprintf("listener %q", name))}
	l.q, err = newMPMC(seg, name, &Options{Capacity: backlogSlots, SlotSize: backlogSlot, Mode: o.Mode}, flagListener, 0, func(h *queueHdr) {
		h.connCap = uint64(capacity)
		h.owner.Store(me)
	})
	if err == nil {
		return l, nil
	}
	if !errors.Is(err, os.ErrExist) {
		return nil, err
	}
	if l.q, err = openListener(seg, name); err != nil {
		return nil, err
	}
	if err := l.takeOver(capacity); err != nil {
		return nil, err
	}
	return l, nil
}

// openListener opens the backlog called name.
func openListener(seg *shm.Segment, name string) (*MPMC, error) {
	q, err := OpenMPMC(seg, name)
	if err != nil {
		return nil, err
	}
	if q.h.flags&flagListener == 0 {
		return nil, newObjError(fmt.Sprintf("queue %q is not a listener", name), shm.ErrWrongKind)
	}
	return q, nil
}

// takeOver makes l the listener of a backlog whose listener closed or
// died: it refuses what is left there, then opens the backlog again.
func (l *Listener) takeOver(capacity int) error {
	h := l.q.h
	for {
		old := h.owner.Load()
		if old != 0 && owner.Alive(old) {
			return newObjError(fmt.Sprintf("listener %q: already listening (%s)", l.name, owner.Describe(old)), os.ErrExist)
		}
		if h.owner.CompareAndSwap(old, l.me) {
			break
		}
	}
	l.q.Close() // no new requests while the old ones are refused
	l.refuseAll()
	h.connCap = uint64(capacity) // Dial reads it after it finds the backlog open
	h.closed.Store(0)
	return nil
}

// Name returns the name the listener listens under (Python's address).
func (l *Listener) Name() string { return l.name }

// request is a connection request in the backlog: the pending entry of
// the pipe's end 0 and the pipe's name.
//
//	idx uint32 | token uint64 | name
func encodeRequest(t token, pipeName string) []byte {
	b := binary.LittleEndian.AppendUint32(nil, uint32(t.idx))
	b = binary.LittleEndian.AppendUint64(b, t.tok)
	return append(b, pipeName...)
}

func decodeRequest(b []byte) (token, string, bool) {
	if len(b) < 13 || len(b) > 12+shm.MaxObjectName {
		return token{}, "", false
	}
	return token{idx: int(binary.LittleEndian.Uint32(b)), tok: binary.LittleEndian.Uint64(b[4:])}, string(b[12:]), true
}

// Accept waits, as ctx allows, for a connection and returns this side of
// it, held by this process. After Close, an error wrapping os.ErrClosed.
// A request whose pipe cannot be found or attached is skipped.
func (l *Listener) Accept(ctx context.Context) (*Conn, error) {
	for {
		if l.closed.Load() {
			return nil, l.errs.closed
		}
		var req []byte
		err := l.q.GetFunc(ctx, func(b []byte) error {
			req = append(req[:0], b...)
			return nil
		})
		switch {
		case err == io.EOF || errors.Is(err, os.ErrClosed):
			return nil, l.errs.closed
		case err != nil:
			return nil, err
		}
		if c := l.attach(req); c != nil {
			return c, nil
		}
	}
}

// attach takes the listener's end of the connection req names (nil when
// it cannot).
func (l *Listener) attach(req []byte) *Conn {
	t, name, ok := decodeRequest(req)
	if !ok {
		return nil
	}
	obj, err := l.seg.LookupKind(name, shm.KindPipe, pipeVersion)
	if err != nil {
		return nil
	}
	p, err := pipeFrom(obj)
	if err != nil || p.b == nil {
		return nil
	}
	c := p.end(0)
	if c.hold(&t) != nil {
		return nil
	}
	return c
}

// refuseAll takes every request left in the backlog and shuts its pipe
// down: the dialer's Recv gets io.EOF, its Send an error.
func (l *Listener) refuseAll() {
	for {
		var req []byte
		err := l.q.TryGetFunc(func(b []byte) error {
			req = append(req[:0], b...)
			return nil
		})
		if err != nil {
			return
		}
		if c := l.attach(req); c != nil {
			c.Shutdown()
			c.Close()
		}
	}
}

// Close stops listening: Accept fails from now on, so do new Dials, and
// the requests not yet accepted are refused. Connections already accepted
// go on. The name may be listened under again. Idempotent.
func (l *Listener) Close() error {
	if l.closed.Swap(true) {
		return nil
	}
	l.q.Close()
	l.refuseAll()
	l.q.h.owner.CompareAndSwap(l.me, 0)
	l.q.wakeAll()
	return nil
}

// connSeq numbers this process's connection pipes.
var connSeq atomic.Uint64

// Dial connects to the listener called name in seg and returns this side
// of the connection (Python's Client(address)), as soon as the request is
// in the listener's backlog: messages sent before Accept wait in the
// pipe. It waits for room in the backlog as ctx allows. No listener under
// name: an error wrapping os.ErrNotExist; a closed one: os.ErrClosed; a
// dead one: ErrPeerDead. If the listener closes or dies before accepting,
// the connection's Recv gets io.EOF and its Send fails.
func Dial(ctx context.Context, seg *shm.Segment, name string) (*Conn, error) {
	q, err := openListener(seg, name)
	if err != nil {
		return nil, err
	}
	errs := newObjErrors(fmt.Sprintf("listener %q", name))
	lid := q.h.owner.Load()
	switch {
	case lid == 0 || q.Closed():
		return nil, errs.closed
	case !owner.Alive(lid):
		return nil, errs.errorf("%s: %w", owner.Describe(lid), ErrPeerDead)
	}
	opts := &Options{Capacity: int(min(q.h.connCap, maxRingCap)), Mode: Mode(q.h.mode & 1)}
	p, err := newConnPipe(seg, name, opts)
	if err != nil {
		return nil, err
	}
	c := p.end(1)
	if err := c.hold(nil); err != nil {
		return nil, err
	}
	t, err := p.makePending(0, lid&owner.IDMask, 0)
	if err == nil {
		err = q.Put(ctx, encodeRequest(t, p.obj.Name()))
		if err != nil {
			p.dropPending(0, t)
		}
	}
	if err != nil {
		c.Shutdown()
		c.Close()
		if errors.Is(err, os.ErrClosed) {
			err = errs.closed
		}
		return nil, err
	}
	return c, nil
}

// newConnPipe allocates a connection's pipe under a name of its own:
// the listener's (cut to fit), this process's pid and a number.
func newConnPipe(seg *shm.Segment, listener string, opts *Options) (*pipe, error) {
	prefix := listener
	if len(prefix) > 20 {
		prefix = prefix[:20]
	}
	pid, _ := kernel.Self()
	for {
		name := fmt.Sprintf("%s#%x.%x", prefix, pid, connSeq.Add(1))
		p, err := newPipe(seg, name, true, opts)
		if !errors.Is(err, os.ErrExist) {
			return p, err // a name left by a dead process of our pid: take the next
		}
	}
}
