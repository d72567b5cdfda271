package ring_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"runtime"
	"testing"

	"github.com/shmkit/shmkit/internal/testutil/segtest"
	"github.com/shmkit/shmkit/ring"
)

// BenchmarkRingTwoThreads: what the ring moves between two cores, without
// processes: a writer and a reader goroutine, each locked to its own OS
// thread, 64-byte records in runs of 32 (ReserveBatch, one Commit;
// PeekBatch, one Release), in a 1 MiB ring. Two checks: "seq" writes and
// compares only each record's first word (the floor: nearly all the time
// is the ring and the cache lines crossing between the cores), "words"
// writes and compares all eight (as the bench's stream does, in cheaper
// code). Mmsg/s is per second of the whole run.
//
// On the 2-core project VM (2026-11-29, `go test -run '^$' -bench
// TwoThreads -benchtime 300000x ./ring`, runs minutes apart) "seq" moved
// 50-88 M records/s and "words" 35-64 M: the same order as the
// cross-process zero-copy stream (31-55 M/s), which is why its batched
// 64 B target, 4× a batched pipe's 16-22 M/s, is out of reach there even
// with the cheapest check. Bandwidth is not the limit (the 1 MiB stream
// moves 30+ GB/s): the reader takes each line from the writer's cache
// right after it was written, a record at a time, about 10 ns a record
// more than the same work in one thread (BenchmarkStreamCost in bench).
// With a 64 KiB ring, where the two stay a few lines apart, "seq" fell to
// 14 M/s; with 4 MiB it rose to 73-168 M/s (the lines come back from L3),
// while "words", bound by its check, stayed at 44-58 M. A prototype with
// one header per run of records (64 bytes a record) moved no more.
//
// Three cache-control experiments (2026-11-30, assembly in the ring,
// interleaved runs of this benchmark), none kept: PREFETCHW over each run
// ReserveBatch hands out, PREFETCHT0 over what PeekBatch may read, and
// both, changed nothing (words 44-50 M/s either way: the misses already
// overlap). CLFLUSHOPT of each run before Release, so that the writer's
// next lap finds the lines in no cache instead of taking them from the
// reader's, lifted "seq" from 64 to 105-123 M/s and "words" from 44-47 to
// 59-61 in one regime of the host, and lowered "words" to 33-44 against
// 44-56 twenty minutes later: what it costs depends on the memory system
// under the VM, so it cannot be a default.
func BenchmarkRingTwoThreads(b *testing.B) {
	for _, check := range []string{"seq", "words"} {
		b.Run(fmt.Sprintf("64x32/%s", check), func(b *testing.B) {
			benchTwoThreads(b, check == "words")
		})
	}
}

func benchTwoThreads(b *testing.B, words bool) {
	const size, batch = 64, 32
	r, err := ring.NewRing(segtest.NewSize(b, 2<<20), "r", &ring.Options{Capacity: 1 << 20})
	if err != nil {
		b.Fatal(err)
	}
	if err := r.Populate(); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	n := uint64(b.N) * batch
	fill := func(p []byte, s uint64) {
		binary.LittleEndian.PutUint64(p, s)
		if words {
			for o := 8; o < size; o += 8 {
				binary.LittleEndian.PutUint64(p[o:], s*0x9e3779b97f4a7c15+uint64(o))
			}
		}
	}
	differs := func(p []byte, s uint64) bool {
		d := binary.LittleEndian.Uint64(p) ^ s
		if words {
			for o := 8; o < size; o += 8 {
				d |= binary.LittleEndian.Uint64(p[o:]) ^ (s*0x9e3779b97f4a7c15 + uint64(o))
			}
		}
		return d != 0
	}
	done := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		defer runtime.UnlockOSThread()
		for seq := uint64(0); seq < n; {
			v, err := r.PeekBatch(ctx, 0)
			if err != nil {
				done <- err
				return
			}
			for i := range v.Len() {
				if differs(v.At(i), seq) {
					done <- fmt.Errorf("record %d differs", seq)
					return
				}
				seq++
			}
			r.Release()
		}
		done <- nil
	}()
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	b.ResetTimer()
	var seq uint64
	for range b.N {
		for left := batch; left > 0; {
			v, err := r.ReserveBatch(ctx, left, size)
			if err != nil {
				b.Fatal(err)
			}
			for i := range v.Len() {
				fill(v.At(i), seq)
				seq++
			}
			left -= v.Len()
		}
		r.Commit()
	}
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds()/1e6, "Mmsg/s")
}
