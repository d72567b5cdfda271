package bench

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/shmkit/shmkit/ring"
	"github.com/shmkit/shmkit/shm"
)

// shm-spsc and shm-mpmc: shmkit's own rings, in a fresh anonymous segment
// per case (children inherit it), each in spin and blocking mode. A link is
// two queues, one per direction (A→B is queue 0). The Conn copies in and
// out (Write/Read, Put/Get): the safe tier a user gets by default, with the
// same two copies every other transport pays.
//
// shm-spsc also runs the stream in zero-copy modes (spin-zerocopy,
// blocking-zerocopy): the sender writes each message straight into the
// ring (ReserveBatch: one call per run of records, then one Commit per
// batch: "batched reserve/commit") and the receiver checks it where it lies
// (PeekBatch, one Release per batch).
// No transport that goes through the kernel can do that; the figures are
// labelled so they are never mistaken for the copying ones.

var _ = []*transport{
	addTransport(&transport{name: "shm-spsc", modes: []string{"spin", "blocking"}, batch: true,
		streamModes: []string{"spin", "blocking", "spin-zerocopy", "blocking-zerocopy"},
		open:        func(c Case) (*link, error) { return openRings(c, false) }, end: openRingEnd}),
	addTransport(&transport{name: "shm-mpmc", modes: []string{"spin", "blocking"}, fanin: true,
		open: func(c Case) (*link, error) { return openRings(c, true) }, end: openRingEnd}),
}

func ringMode(m string) ring.Mode {
	if strings.HasPrefix(m, "spin") {
		return ring.Spin
	}
	return ring.Blocking
}

func pow2(n int) int {
	p := 1
	for p < n {
		p <<= 1
	}
	return p
}

// mpmcRoom is the buffer an MPMC queue gets, slots and their headers:
// the pipes' (pipeSize in sockets_linux.go).
const mpmcRoom = 1 << 20

func openRings(c Case, mpmc bool) (*link, error) {
	msg := max(c.Size*max(c.Batch, 1), MinSize)
	var opts ring.Options
	opts.Mode = ringMode(c.Mode)
	var room int
	if mpmc {
		payload := min(pow2(max(c.Size, 64)), 64<<10)
		// Whole cache lines per slot: with 80-byte slots (64 B
		// messages) two producers filling neighbouring slots wrote to one
		// line, and each commit took it back from the other.
		opts.SlotSize = (payload + 16 + 63) &^ 63
		// As much buffer as a pipe gets (pipeSize, 1 MiB): 8192 slots for
		// 64 B messages. With 1024 (128 KiB), the 2 × 2 fanin on two
		// cores switched processes eight times as often, each time the
		// queue filled or emptied.
		opts.Capacity = pow2(max(mpmcRoom/opts.SlotSize, 4*((c.Size+payload-1)/payload)))
		room = 2*opts.Capacity*opts.SlotSize + 1<<20
	} else {
		// Room for two messages (a power of two, at least 1 MiB): the
		// sender fills one while the receiver checks the other. A larger
		// ring is slower for large messages, since the data cycles
		// through more memory than the caches hold: for 1 MiB messages,
		// a 4 MiB ring moved 25 GB/s where an 8 MiB one moved 21
		// (blocking-zerocopy, medians of 6 interleaved runs); smaller
		// messages did better with 1 MiB than with 256 KiB.
		opts.Capacity = pow2(max(1<<20, 2*(msg+8)))
		room = 2*opts.Capacity + 1<<20
	}
	seg, err := shm.Anonymous(room, nil)
	if err != nil {
		return nil, err
	}
	l := &link{close: seg.Close}
	var hs [2][]byte
	for d := range 2 {
		var h shm.Handle
		name := fmt.Sprintf("bench-q%d", d)
		if mpmc {
			q, err := ring.NewMPMC(seg, name, &opts)
			if err != nil {
				seg.Close()
				return nil, err
			}
			h = q.Handle()
		} else {
			r, err := ring.NewRing(seg, name, &opts)
			if err != nil {
				seg.Close()
				return nil, err
			}
			h = r.Handle()
		}
		if hs[d], err = h.MarshalBinary(); err != nil {
			seg.Close()
			return nil, err
		}
	}
	// Side s sends on queue s and receives on queue 1-s; Handle carries
	// both, its own first.
	for s := range 2 {
		l.specs[s].Handle = append(append([]byte{byte(len(hs[s]))}, hs[s]...), hs[1-s]...)
	}
	return l, nil
}

// splitHandles undoes openRings' packing of two handles.
func splitHandles(b []byte) (send, recv shm.Handle, err error) {
	if len(b) < 1 || int(b[0]) >= len(b) {
		return send, recv, fmt.Errorf("ring handles: %w", shm.ErrCorrupt)
	}
	n := int(b[0])
	if err := send.UnmarshalBinary(b[1 : 1+n]); err != nil {
		return send, recv, err
	}
	return send, recv, recv.UnmarshalBinary(b[1+n:])
}

func openRingEnd(ctx context.Context, spec endSpec, _ []*os.File) (Conn, error) {
	sh, rh, err := splitHandles(spec.Handle)
	if err != nil {
		return nil, err
	}
	// Each end maps every page of both rings before the clock starts, as
	// a warmed-up service would have: a fresh ring takes a page fault per
	// 4 KiB on its first lap (about 9 µs each on this VM), which made a
	// short run of 1 MiB messages look half as fast as a long one.
	if spec.Transport == "shm-mpmc" {
		s, err := shm.AttachAs[ring.MPMC](sh)
		if err != nil {
			return nil, err
		}
		r, err := shm.AttachAs[ring.MPMC](rh)
		if err != nil {
			return nil, err
		}
		if err := errors.Join(s.Populate(), r.Populate()); err != nil {
			return nil, err
		}
		return &mpmcConn{ctx: ctx, send: s, recv: r}, nil
	}
	s, err := shm.AttachAs[ring.Ring](sh)
	if err != nil {
		return nil, err
	}
	r, err := shm.AttachAs[ring.Ring](rh)
	if err != nil {
		return nil, err
	}
	if err := errors.Join(s.Populate(), r.Populate()); err != nil {
		return nil, err
	}
	c := &spscConn{ctx: ctx, send: s, recv: r, msg: spec.Msg}
	c.rdFn = c.rd.rec
	return c, nil
}

type spscConn struct {
	ctx        context.Context
	send, recv *ring.Ring
	msg        int // message size: a batch is len(p)/msg records
	recs       [][]byte
	rd         batchReader // ReadBatch's callback and its state, made once
	rdFn       func(rec []byte)
}

// batchReader is the state of one Recv or RecvFunc over ReadBatch calls,
// kept in the conn so that its callback is made once, not per call.
type batchReader struct {
	size  int
	dst   []byte                      // Recv: where records go
	check func(i int, p []byte) error // RecvFunc: checks each in place
	i     int                         // records taken
	bad   error
}

func (b *batchReader) rec(rec []byte) {
	if b.bad != nil {
		return
	}
	if len(rec) != b.size {
		b.bad = fmt.Errorf("record of %d bytes, want %d: %w", len(rec), b.size, ErrCorrupt)
		return
	}
	if b.check != nil {
		b.bad = b.check(b.i, rec)
	} else {
		copy(b.dst[b.i*b.size:], rec)
	}
	b.i++
}

// readRecords takes n records of size bytes into dst, or through check.
func (c *spscConn) readRecords(n, size int, dst []byte, check func(int, []byte) error) error {
	c.rd = batchReader{size: size, dst: dst, check: check}
	for c.rd.i < n {
		if _, err := c.recv.ReadBatch(c.ctx, n-c.rd.i, c.rdFn); err != nil {
			return err
		}
		if c.rd.bad != nil {
			return c.rd.bad
		}
	}
	return nil
}

func (c *spscConn) Send(p []byte) error {
	if len(p) <= c.msg || c.msg <= 0 {
		return c.send.Write(c.ctx, p)
	}
	c.recs = c.recs[:0]
	for i := 0; i < len(p); i += c.msg {
		c.recs = append(c.recs, p[i:i+c.msg])
	}
	for recs := c.recs; len(recs) > 0; {
		n, err := c.send.WriteBatch(c.ctx, recs)
		if err != nil {
			return err
		}
		recs = recs[n:]
	}
	return nil
}

func (c *spscConn) Recv(p []byte) error {
	if len(p) <= c.msg || c.msg <= 0 {
		n, err := c.recv.Read(c.ctx, p)
		if err == nil && n != len(p) {
			err = fmt.Errorf("record of %d bytes, want %d: %w", n, len(p), ErrCorrupt)
		}
		return err
	}
	return c.readRecords(len(p)/c.msg, c.msg, p, nil)
}

// Abort closes both rings for everyone: blocked calls on either end fail.
func (c *spscConn) Abort() {
	c.send.Close()
	c.recv.Close()
}

func (c *spscConn) Close() error { return nil }

type mpmcConn struct {
	ctx        context.Context
	send, recv *ring.MPMC
}

func (c *mpmcConn) Send(p []byte) error { return c.send.Put(c.ctx, p) }

func (c *mpmcConn) Recv(p []byte) error {
	n, err := c.recv.Get(c.ctx, p)
	if err == nil && n != len(p) {
		err = fmt.Errorf("message of %d bytes, want %d: %w", n, len(p), ErrCorrupt)
	}
	return err
}

func (c *mpmcConn) Abort() {
	c.send.Close()
	c.recv.Close()
}

func (c *mpmcConn) Close() error { return nil }

// lender is a Conn that lends its own memory: messages are written and
// checked in place.
type lender interface {
	// SendSeq writes messages seq, seq+1, … seq+n-1 of size bytes in
	// place (fill) and publishes them together; the message at index bad
	// of the run (none when out of range) is flipped after it is filled,
	// the corruption hook.
	SendSeq(n, size int, seq uint64, bad int) error
	// RecvSeq takes messages seq … seq+n-1 of size bytes, checks each
	// where it lies, and then frees their room.
	RecvSeq(n, size int, seq uint64) error
}

func zeroCopy(mode string) bool { return strings.HasSuffix(mode, "-zerocopy") }

// SendSeq reserves runs of records (ReserveBatch: the ring's end or its
// room may cut a run), fills each record where it lies, and publishes them
// all with one Commit.
func (c *spscConn) SendSeq(n, size int, seq uint64, bad int) error {
	if n == 1 {
		// One message: Reserve. Through ReserveBatch the unbatched
		// zero-copy stream ran at 8-9 M msgs/s against 11.6-12.6 with
		// Reserve (two interleaved --quick runs each), a cost not found
		// yet; batches of 32 go through ReserveBatch faster than through
		// Reserve.
		m, err := c.send.Reserve(c.ctx, size)
		if err != nil {
			return err
		}
		fill(m, seq)
		if bad == 0 {
			flip(m)
		}
		c.send.Commit()
		return nil
	}
	for done := 0; done < n; {
		v, err := c.send.ReserveBatch(c.ctx, n-done, size)
		if err != nil {
			return err
		}
		for i := range v.Len() {
			m := v.At(i)
			fill(m, seq+uint64(done+i))
			if done+i == bad {
				flip(m)
			}
		}
		done += v.Len()
	}
	c.send.Commit()
	return nil
}

// RecvSeq takes runs of records (PeekBatch), checks each where it lies,
// and frees them all with one Release.
func (c *spscConn) RecvSeq(n, size int, seq uint64) error {
	for done := 0; done < n; {
		v, err := c.recv.PeekBatch(c.ctx, n-done)
		if err != nil {
			return err
		}
		if v.Size() != size {
			return fmt.Errorf("record of %d bytes, want %d: %w", v.Size(), size, ErrCorrupt)
		}
		if size <= wordMax && !runDiffers(v.Bytes(), v.Len(), size, v.Stride(), seq+uint64(done)) {
			done += v.Len()
			continue // the whole run checked at once; else find the bad one below
		}
		for i := range v.Len() {
			if err := check(v.At(i), seq+uint64(done+i)); err != nil {
				return err
			}
		}
		done += v.Len()
	}
	c.recv.Release()
	return nil
}
