package bench

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"unsafe"

	"github.com/shmkit/shmkit/internal/kernel"
	"github.com/shmkit/shmkit/shm"
)

// cacheline: the physical limit of a small-message round trip between two
// processes — no queue, no kernel, nothing but two slots in shared memory.
// Slot s (CacheLinePad×2 bytes, written only by side s) holds a sequence
// word and the payload right after it:
//
//	slot s:  [0:8) seq (count of messages side s has sent)   [8:8+size) payload
//
// Send copies the payload in, then stores seq+1 (the release store that
// publishes it). Recv spins until the other slot's seq reaches the next
// value (the acquire load that pairs with it), then copies the payload
// out. One message in flight per direction: exactly ping-pong's pattern.
// The spinner yields its core (sched_yield) every thousand spins, so a
// peer waiting for a core gets one, and checks for an abort.

const (
	clSlot    = 2 * shm.CacheLinePad
	clMaxSize = clSlot - 8
	clName    = "bench-cacheline"
)

var _ = addTransport(&transport{name: "cacheline", pingOnly: true, maxSize: clMaxSize,
	open: openCacheline, end: openCachelineEnd})

// openCacheline allocates the two slots in a fresh anonymous segment;
// children inherit it.
func openCacheline(c Case) (*link, error) {
	seg, err := shm.Anonymous(8<<10, nil)
	if err != nil {
		return nil, err
	}
	obj, err := seg.Alloc(clName, 2*clSlot, shm.CacheLinePad)
	if err != nil {
		seg.Close()
		return nil, err
	}
	h, err := obj.Handle().MarshalBinary()
	if err != nil {
		seg.Close()
		return nil, err
	}
	l := &link{close: seg.Close}
	l.specs[0].Handle, l.specs[1].Handle = h, h
	return l, nil
}

func openCachelineEnd(ctx context.Context, spec endSpec, _ []*os.File) (Conn, error) {
	var h shm.Handle
	if err := h.UnmarshalBinary(spec.Handle); err != nil {
		return nil, err
	}
	obj, err := shm.Attach(h, shm.KindBytes, 0)
	if err != nil {
		return nil, err
	}
	b := obj.Bytes()
	if len(b) < 2*clSlot || uintptr(unsafe.Pointer(&b[0]))%8 != 0 {
		return nil, fmt.Errorf("cacheline slots of %d bytes: %w", len(b), shm.ErrCorrupt)
	}
	s := spec.Side
	return &clConn{ctx: ctx, mine: b[s*clSlot : (s+1)*clSlot], theirs: b[(1-s)*clSlot : (2-s)*clSlot]}, nil
}

type clConn struct {
	ctx          context.Context
	mine, theirs []byte
	sent, got    uint64
	aborted      atomic.Bool
}

func (c *clConn) seq(slot []byte) *uint64 { return (*uint64)(unsafe.Pointer(&slot[0])) }

func (c *clConn) Send(p []byte) error {
	if len(p) > clMaxSize {
		return fmt.Errorf("cacheline: %d bytes do not fit a slot", len(p))
	}
	copy(c.mine[8:], p)
	c.sent++
	atomic.StoreUint64(c.seq(c.mine), c.sent) // publishes the payload
	return nil
}

func (c *clConn) Recv(p []byte) error {
	if len(p) > clMaxSize {
		return fmt.Errorf("cacheline: %d bytes do not fit a slot", len(p))
	}
	want := c.got + 1
	w := c.seq(c.theirs)
	for spins := 1; atomic.LoadUint64(w) != want; spins++ { // pairs with the peer's Send store
		if spins%1024 == 0 {
			if c.aborted.Load() || c.ctx.Err() != nil {
				return errAborted
			}
			kernel.Yield()
		}
	}
	copy(p, c.theirs[8:8+len(p)])
	c.got = want
	return nil
}

func (c *clConn) Abort()       { c.aborted.Store(true) }
func (c *clConn) Close() error { return nil }
