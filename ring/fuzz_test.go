package ring

import (
	"context"
	"testing"
	"time"
	"unsafe"

	"github.com/shmkit/shmkit/internal/owner"
)

// Fuzzers: open rings and queues over arbitrary header (and data) bytes and
// drive both sides with Try calls. Whatever the bytes say, nothing may
// panic or read outside the object: errors only. The seed corpus runs in
// plain go test.

const fuzzRingCap = 256

func validRing(tb testing.TB) []byte {
	b := make([]byte, ringHdrSize+fuzzRingCap)
	initRing(b, fuzzRingCap, Blocking)
	r, err := ringFrom(nil, b)
	if err != nil {
		tb.Fatal(err)
	}
	for i := range 5 {
		r.TryWrite(make([]byte, 10+i*30))
	}
	r.TryRead(make([]byte, 100))
	return b
}

func FuzzAttachRing(f *testing.F) {
	v := validRing(f)
	f.Add(v[:ringHdrSize+64])
	f.Add([]byte{})
	f.Add(make([]byte, ringHdrSize))
	bad := append([]byte(nil), v...)
	bad[128] = 0xff // tail far ahead
	f.Add(bad[:ringHdrSize+64])
	bad = append([]byte(nil), v...)
	bad[ringHdrSize+60] = 0xf0 // a record length in the data area
	f.Add(bad)
	bad = append([]byte(nil), v...)
	bad[8] = 0 // capacity 0 (then 1<<8 again below)
	bad[9] = 0x10
	f.Add(bad[:ringHdrSize])
	f.Fuzz(func(t *testing.T, data []byte) {
		b := validRing(t)
		copy(b, data)
		r, err := ringFrom(nil, b)
		if err != nil {
			return
		}
		buf := make([]byte, 512)
		for range 40 {
			if _, err := r.TryRead(buf); err != nil {
				break
			}
		}
		for range 20 {
			if _, err := r.TryPeek(); err != nil {
				break
			}
		}
		r.Release()
		for i := range 10 {
			if err := r.TryWrite(make([]byte, i*20)); err != nil {
				break
			}
		}
		r.TryRead(buf)
		ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
		defer cancel()
		r.Read(ctx, buf)
		_ = r.Stats()
		_ = r.Len()
	})
}

func validQueue(tb testing.TB) []byte {
	const slots, slotSize, parts = 4, 64, 2
	b := make([]byte, queueHdrSize+parts*partSize+slots*slotSize)
	h := asQueueHdr(b)
	h.magic, h.version, h.slots, h.slotSize, h.parts, h.limit = queueMagic, queueVersion, slots, slotSize, parts, slots
	q, err := mpmcBytes(b)
	if err != nil {
		tb.Fatal(err)
	}
	for i := range parts {
		q.entry(i).pPos.Store(noPos)
		q.entry(i).cPos.Store(noPos)
	}
	for i := range uint64(slots) {
		q.seq(i).Store(i)
	}
	q.local = &local{}
	q.TryPut(make([]byte, 10))
	q.TryPut(make([]byte, 100))
	q.TryGet(make([]byte, 100))
	return b
}

func FuzzAttachQueue(f *testing.F) {
	v := validQueue(f)
	f.Add(v[:queueHdrSize])
	f.Add(v)
	f.Add([]byte{})
	bad := append([]byte(nil), v...)
	bad[256] = 0 // deq behind
	bad[128] = 9 // enq ahead
	f.Add(bad)
	bad = append([]byte(nil), v...)
	off := queueHdrSize + 2*partSize + 64
	bad[off+12] = 0xff // a span
	f.Add(bad)
	f.Fuzz(func(t *testing.T, data []byte) {
		b := validQueue(t)
		copy(b, data)
		q, err := mpmcBytes(b)
		if err != nil {
			return
		}
		q.local = &local{}
		buf := make([]byte, 1024)
		for range 20 {
			if _, err := q.TryGet(buf); err != nil {
				break
			}
		}
		for i := range 6 {
			if err := q.TryPut(make([]byte, i*40)); err != nil {
				break
			}
		}
		q.TryGetFunc(func([]byte) error { return nil })
		ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
		defer cancel()
		q.Get(ctx, buf)
		_ = q.Stats()
		_ = q.Len()
	})
}

// fuzzPipe is the geometry of the pipes the fuzz tests lay out: two
// holders per end, two rings of fuzzRingCap bytes.
var fuzzPipe = pipeGeometry{holders: 2, rings: 2, capacity: fuzzRingCap}

// hostilePipe is a pipe header and holder tables, then the first ring's
// header whose tail says the ring is full to its last byte: a send with no
// bound waited for room forever, and no record is there to free it.
func hostilePipe() []byte {
	b := make([]byte, fuzzPipe.size())
	initPipe(b, fuzzPipe, Blocking)
	off := fuzzPipe.ringOff(0)
	asRingHdr(b[off:]).prodPos.pos.Store(fuzzRingCap)
	return b[:off+int(unsafe.Offsetof(ringHdr{}.prodPos))+8]
}

// holdBoth makes this process hold both ends of a pipe in plain memory
// (no handles: it never lets go), so that sends and receives find a peer.
func holdBoth(p *pipe) {
	me, _ := owner.SelfID()
	p.takeEntry(0, me, me)
	p.takeEntry(1, me, me)
}

func FuzzAttachPipe(f *testing.F) {
	f.Add([]byte{})
	f.Add(make([]byte, 64))
	f.Add(hostilePipe())
	f.Fuzz(func(t *testing.T, data []byte) {
		b := make([]byte, fuzzPipe.size())
		initPipe(b, fuzzPipe, Blocking)
		copy(b, data)
		p, err := pipeBytes(b)
		if err != nil {
			return
		}
		holdBoth(p)
		ctx, cancel := context.WithTimeout(context.Background(), time.Millisecond)
		defer cancel()
		c := p.end(1)
		c.SendBytes(ctx, []byte("x"))
		p.end(0).Poll(ctx)
		for _, end := range []*Conn{p.end(0), p.end(1)} {
			end.SetDeadline(time.Now().Add(time.Millisecond))
			end.Read(make([]byte, 64))
			end.Write([]byte("y"))
		}
	})
}
