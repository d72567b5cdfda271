package ring

import (
	"fmt"
	"structs"
	"sync/atomic"
	"unsafe"

	"github.com/shmkit/shmkit/shm"
)

// pipeHdr heads a Pipe object: two rings follow (one when simplex), each a
// ringHdr and its data area.
type pipeHdr struct {
	_        structs.HostLayout
	magic    uint32
	version  uint32
	duplex   uint32
	_        uint32
	capacity uint64 // data bytes of each ring
	_        [lineSize - 24]byte
}

const pipeHdrSize = int(unsafe.Sizeof(pipeHdr{}))

// pipe is the shared part of both ends: ring a carries end 1's sends to
// end 0 (and, simplex, the only direction: end 1 writes, end 0 reads);
// ring b carries end 0's sends to end 1.
type pipe struct {
	obj  *shm.Object
	a, b *Ring
	errs objErrors
}

// NewPipe allocates a pipe called name in seg and returns its two ends,
// like Python's multiprocessing.Pipe. Duplex, each end sends and receives;
// simplex, c1 only receives and c2 only sends. Options.Capacity sizes each
// direction's ring (default 1 MiB). Either end (or both) may be passed to
// children: a Conn marshals as its handle.
func NewPipe(seg *shm.Segment, name string, duplex bool, opts *Options) (c1, c2 *Conn, err error) {
	o := opts.orDefault()
	capacity, err := pow2("pipe capacity", o.Capacity, defaultRingCap, minRingCap, maxRingCap)
	if err != nil {
		return nil, nil, err
	}
	rings := 1
	if duplex {
		rings = 2
	}
	size := pipeHdrSize + rings*(ringHdrSize+capacity)
	obj, err := seg.AllocObject(name, shm.KindPipe, pipeVersion, size, lineSize, func(b []byte) {
		h := layoutAt[pipeHdr](b, 0)
		h.magic, h.version, h.capacity = pipeMagic, pipeVersion, uint64(capacity)
		if duplex {
			h.duplex = 1
		}
		for i := range rings {
			off := pipeHdrSize + i*(ringHdrSize+capacity)
			initRing(b[off:], capacity, o.Mode)
		}
	})
	if err != nil {
		return nil, nil, allocError("pipe", name, err)
	}
	p, err := pipeFrom(obj)
	if err != nil {
		return nil, nil, err
	}
	return p.end(0), p.end(1), nil
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

func asPipeHdr(b []byte) *pipeHdr { return layoutAt[pipeHdr](b, 0) }

// pipeBytes validates a pipe in b; the caller sets obj.
func pipeBytes(b []byte) (*pipe, error) {
	if len(b) < pipeHdrSize {
		return nil, corrupt("pipe of %d bytes", len(b))
	}
	h := asPipeHdr(b)
	capacity, duplex := h.capacity, h.duplex
	if h.magic != pipeMagic || h.version != pipeVersion || duplex > 1 {
		return nil, corrupt("pipe header magic %#x version %d", h.magic, h.version)
	}
	rings := uint64(1 + duplex)
	if capacity < minRingCap || capacity > maxRingCap || capacity&(capacity-1) != 0 ||
		uint64(pipeHdrSize)+rings*(uint64(ringHdrSize)+capacity) > uint64(len(b)) {
		return nil, corrupt("pipe capacity %d in %d bytes", capacity, len(b))
	}
	rs := int(capacity) + ringHdrSize
	p := &pipe{}
	var err error
	if p.a, err = ringFrom(nil, b[pipeHdrSize:pipeHdrSize+rs:pipeHdrSize+rs]); err != nil {
		return nil, err
	}
	if duplex == 1 {
		if p.b, err = ringFrom(nil, b[pipeHdrSize+rs:pipeHdrSize+2*rs:pipeHdrSize+2*rs]); err != nil {
			return nil, err
		}
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

// end returns end 0 or 1 of the pipe.
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
	return c
}

// Conn is one end of a Pipe. One goroutine may send while another receives;
// two concurrent senders (or receivers) on the same pipe direction, in one
// process or several, are not allowed (use a Queue).
type Conn struct {
	p          *pipe
	end        uint8
	send, recv *Ring // nil where this end cannot
	left       []byte
	closed     atomic.Bool
	rdl, wdl   deadline // Read's and Write's (SetDeadline)
}

// OpenPipe finds the pipe called name in seg and returns its two ends.
func OpenPipe(seg *shm.Segment, name string) (c1, c2 *Conn, err error) {
	obj, err := seg.LookupKind(name, shm.KindPipe, pipeVersion)
	if err != nil {
		return nil, nil, err
	}
	p, err := pipeFrom(obj)
	if err != nil {
		return nil, nil, err
	}
	return p.end(0), p.end(1), nil
}
