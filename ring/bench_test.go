package ring_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"

	"github.com/shmkit/shmkit/internal/testutil/segtest"
	"github.com/shmkit/shmkit/ring"
)

// Single-process micro-benchmarks of the fast paths: one goroutine writes
// a message and reads it back, so no peer, wake-up or cache-line transfer
// is in the figure, only the ring's own work. Every byte read is compared
// with what was written.
//
// The cross-process figures — a writer and a reader in separate processes,
// every byte checked, beside pipes, sockets, a Go channel and memcpy
// measured in the same run — come from package bench: `shmkit bench` (the
// stream, pingpong and fanin scenarios, transports shm-spsc and shm-mpmc)
// or `go test -bench . ./bench`.

var benchSizes = []int{64, 4096}

// message returns a message of size bytes, none of them zero.
func message(size int) []byte {
	m := make([]byte, size)
	for i := range m {
		m[i] = byte(i%251 + 1)
	}
	return m
}

func BenchmarkRing(b *testing.B) {
	for _, size := range benchSizes {
		b.Run(fmt.Sprintf("write-read/%d", size), func(b *testing.B) {
			r, err := ring.NewRing(segtest.NewSize(b, 1<<20), "r", &ring.Options{Capacity: 256 << 10})
			if err != nil {
				b.Fatal(err)
			}
			msg, buf := message(size), make([]byte, size)
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				if err := r.TryWrite(msg); err != nil {
					b.Fatal(err)
				}
				n, err := r.TryRead(buf)
				if err != nil || !bytes.Equal(buf[:n], msg) {
					b.Fatalf("read %d bytes, %v: not what was written", n, err)
				}
			}
		})
		// Zero-copy: 32 messages written in place with one Commit, then
		// checked where they lie with one ReadBatch.
		b.Run(fmt.Sprintf("reserve-readbatch/%dx32", size), func(b *testing.B) {
			r, err := ring.NewRing(segtest.NewSize(b, 1<<20), "r", &ring.Options{Capacity: 256 << 10})
			if err != nil {
				b.Fatal(err)
			}
			msg, ctx := message(size), context.Background()
			b.SetBytes(32 * int64(size))
			b.ReportAllocs()
			bad := 0
			check := func(rec []byte) {
				if !bytes.Equal(rec, msg) {
					bad++
				}
			}
			for b.Loop() {
				for range 32 {
					rec, err := r.TryReserve(size)
					if err != nil {
						b.Fatal(err)
					}
					copy(rec, msg)
				}
				r.Commit()
				if n, err := r.ReadBatch(ctx, 32, check); err != nil || n != 32 || bad != 0 {
					b.Fatalf("ReadBatch = %d, %v; %d records not what was written", n, err, bad)
				}
			}
		})
	}
}

func BenchmarkMPMC(b *testing.B) {
	for _, size := range benchSizes {
		b.Run(fmt.Sprintf("put-get/%d", size), func(b *testing.B) {
			q, err := ring.NewMPMC(segtest.NewSize(b, 1<<20), "q", &ring.Options{Capacity: 64, SlotSize: 128})
			if err != nil {
				b.Fatal(err)
			}
			msg, buf := message(size), make([]byte, size)
			b.SetBytes(int64(size))
			b.ReportAllocs()
			for b.Loop() {
				if err := q.TryPut(msg); err != nil {
					b.Fatal(err)
				}
				n, err := q.TryGet(buf)
				if err != nil || !bytes.Equal(buf[:n], msg) {
					b.Fatalf("got %d bytes, %v: not what was put", n, err)
				}
			}
		})
	}
}

// BenchmarkQueue: a typed Put and Get in one goroutine, the codec and
// bookkeeping cost without a peer.
func BenchmarkQueue(b *testing.B) {
	b.Run("int", func(b *testing.B) {
		q, err := ring.NewQueue[int](segtest.NewSize(b, 1<<20), "q", nil)
		if err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if err := q.Put(ctx, i); err != nil {
				b.Fatal(err)
			}
			if v, err := q.Get(ctx); err != nil || v != i {
				b.Fatal(v, err)
			}
			i++
		}
	})
	b.Run("string", func(b *testing.B) {
		q, err := ring.NewQueue[string](segtest.NewSize(b, 1<<20), "q", nil)
		if err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		b.ReportAllocs()
		for b.Loop() {
			if err := q.Put(ctx, "hello, world"); err != nil {
				b.Fatal(err)
			}
			if v, err := q.Get(ctx); err != nil || v != "hello, world" {
				b.Fatal(v, err)
			}
		}
	})
}
