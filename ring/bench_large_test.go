package ring_test

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"sync/atomic"
	"testing"

	"github.com/shmkit/shmkit/internal/testutil/segtest"
	"github.com/shmkit/shmkit/ring"
)

// BenchmarkLargeTwoThreads: 1 MiB messages from one thread to another,
// each locked to its own OS thread, written in place and checked where
// they lie, as the bench's zero-copy stream does across processes: the
// writer copies message i from a random table (a window chosen by i, in
// 256 KiB pieces, as bench's fill) and the reader compares it with the
// table. "ring" goes through a 4 MiB Ring (Reserve, Commit; Peek,
// Release), the ring the bench gives 1 MiB messages; "handoff" moves the
// same bytes through three 1 MiB slots and two counters, no ring at all:
// what the two cores give any design; "memcpy" is the bench's baseline,
// the copy alone in one thread. MB/s is per direction.
//
// Figures: the package doc, "Large messages" (`go test -run '^$' -bench
// LargeTwoThreads -benchtime 3000x -count 6 ./ring`).
func BenchmarkLargeTwoThreads(b *testing.B) {
	const size = 1 << 20
	b.Run("ring", func(b *testing.B) { benchLarge(b, size, ringMover(b, size)) })
	b.Run("handoff", func(b *testing.B) { benchLarge(b, size, newHandoff(size, 3)) })
	b.Run("memcpy", func(b *testing.B) {
		// The bench's baseline in one thread: a 1 MiB copy in pieces,
		// its check outside the clock.
		table, dst := largeTable(size), make([]byte, size)
		copyLarge(dst, table) // fault its pages in before the clock
		b.SetBytes(int64(size))
		b.ResetTimer()
		for i := range b.N {
			copyLarge(dst, table[i%251:][:size])
		}
		b.StopTimer()
		if !bytes.Equal(dst, table[(b.N-1)%251:][:size]) {
			b.Fatal("copy differs")
		}
	})
}

// largeTable is the random table messages are windows of.
func largeTable(size int) []byte {
	rng := rand.New(rand.NewPCG(1, 2))
	t := make([]byte, size+251)
	for i := range t {
		t[i] = byte(rng.Uint32())
	}
	return t
}

// copyLarge copies in 256 KiB pieces, as bench's fill does (one copy of
// 1 MiB or more goes non-temporal on AMD).
func copyLarge(dst, src []byte) {
	for k := 0; k < len(src); k += largePiece {
		copy(dst[k:min(k+largePiece, len(dst))], src[k:min(k+largePiece, len(src))])
	}
}

// mover is one way to move messages of a fixed size between two threads.
type mover interface {
	// send hands fill a slice to write message i into, then publishes it.
	send(i int, fill func([]byte)) error
	// recv hands check message i where it lies, then frees it.
	recv(i int, check func([]byte) error) error
}

const largePiece = 256 << 10

func benchLarge(b *testing.B, size int, m mover) {
	table := largeTable(size)
	msg := func(i int) []byte { return table[i%251 : i%251+size] }
	fill := func(i int) func([]byte) {
		return func(p []byte) { copyLarge(p, msg(i)) }
	}
	errBad := errors.New("message differs")
	check := func(i int) func([]byte) error {
		return func(p []byte) error {
			if !bytes.Equal(p, msg(i)) {
				return errBad
			}
			return nil
		}
	}
	b.SetBytes(int64(size))
	twoThreads(b, 0, func() error {
		for i := range b.N {
			if err := m.recv(i, check(i)); err != nil {
				return err
			}
		}
		return nil
	}, func() error {
		for i := range b.N {
			if err := m.send(i, fill(i)); err != nil {
				return err
			}
		}
		return nil
	})
}

type ringMove struct {
	r    *ring.Ring
	size int
}

func ringMover(b *testing.B, size int) mover {
	capacity := 4 << 20
	r, err := ring.NewRing(segtest.NewSize(b, capacity+1<<20), "large", &ring.Options{Capacity: capacity, Mode: ring.Spin})
	if err == nil {
		err = r.Populate()
	}
	if err != nil {
		b.Fatal(err)
	}
	return ringMove{r, size}
}

func (m ringMove) send(_ int, fill func([]byte)) error {
	p, err := m.r.Reserve(context.Background(), m.size)
	if err != nil {
		return err
	}
	fill(p)
	m.r.Commit()
	return nil
}

func (m ringMove) recv(_ int, check func([]byte) error) error {
	p, err := m.r.Peek(context.Background())
	if err != nil {
		return err
	}
	err = check(p)
	m.r.Release()
	return err
}

// handoff: n slots of size bytes in private memory; message i goes to slot
// i%n once the reader has freed it. Each side spins on the other's counter.
type handoff struct {
	buf        []byte
	size, n    int
	sent, done atomic.Int64
}

func newHandoff(size, n int) *handoff {
	h := &handoff{buf: make([]byte, size*n), size: size, n: n}
	for i := range h.buf {
		h.buf[i] = 1 // touch every page before the clock
	}
	return h
}

func (h *handoff) slot(i int) []byte { return h.buf[i%h.n*h.size:][:h.size] }

func (h *handoff) send(i int, fill func([]byte)) error {
	for int64(i)-h.done.Load() >= int64(h.n) {
	}
	fill(h.slot(i))
	h.sent.Store(int64(i + 1))
	return nil
}

func (h *handoff) recv(i int, check func([]byte) error) error {
	for h.sent.Load() <= int64(i) {
	}
	err := check(h.slot(i))
	h.done.Store(int64(i + 1))
	return err
}
