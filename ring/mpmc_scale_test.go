package ring_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"runtime"
	"sync"
	"testing"

	"github.com/shmkit/shmkit/internal/testutil/segtest"
	"github.com/shmkit/shmkit/ring"
)

// scaleShape is one (producers, consumers) pair of the scaling harness.
type scaleShape struct{ p, c int }

// scaleShapes: P producers and 2 consumers for P = 1..4 everywhere (on
// the 2-core project VM past 2 they only time-share the cores), then, on
// machines with the cores for them (every goroutine spins on a core of its
// own, two cores left over), more producers and more consumers.
func scaleShapes() []scaleShape {
	shapes := []scaleShape{{1, 2}, {2, 2}, {3, 2}, {4, 2}}
	for _, s := range []scaleShape{{4, 4}, {6, 2}, {8, 2}, {6, 6}, {12, 2}, {7, 7}} {
		if s.p+s.c+2 <= runtime.NumCPU() {
			shapes = append(shapes, s)
		}
	}
	return shapes
}

// BenchmarkMPMCScale: how an MPMC queue's throughput scales with its
// producers, in a threads harness: goroutines stand in for processes, each
// with its own handle (as a process has), P producers and C consumers,
// 64-byte messages in 128-byte slots, one by one (batch=1: Put, Get) or
// in runs of up to 32 (PutBatch, GetBatchFunc). ns/op is per message, all
// producers together; every message is counted exactly once by the
// consumers. See the package doc, "Scaling", for the figures.
func BenchmarkMPMCScale(b *testing.B) { benchScale(b, benchMPMCScale) }

// benchScale runs one harness over every batch size and shape.
func benchScale(b *testing.B, run func(*testing.B, scaleShape, int)) {
	for _, batch := range []int{1, 32} {
		for _, s := range scaleShapes() {
			b.Run(fmt.Sprintf("batch=%d/p=%d/c=%d", batch, s.p, s.c), func(b *testing.B) {
				run(b, s, batch)
			})
		}
	}
}

func benchMPMCScale(b *testing.B, s scaleShape, batch int) {
	seg := segtest.NewSize(b, 4<<20)
	q0, err := ring.NewMPMC(seg, "q", &ring.Options{Capacity: 1024, SlotSize: 128})
	if err != nil {
		b.Fatal(err)
	}
	if err := q0.Populate(); err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	per := b.N/s.p + 1
	var wg sync.WaitGroup
	got := make([]int, s.c)
	b.ResetTimer()
	for p := range s.p {
		q, _ := ring.OpenMPMC(seg, "q")
		wg.Add(1)
		go func() {
			defer wg.Done()
			ms := make([][]byte, batch)
			for j := range ms {
				ms[j] = make([]byte, 64)
			}
			for i := 0; i < per; i += batch {
				k := min(batch, per-i)
				for j := range k {
					binary.LittleEndian.PutUint64(ms[j], uint64(p)<<40|uint64(i+j))
				}
				var err error
				if batch == 1 {
					err = q.Put(ctx, ms[0])
				} else {
					_, err = q.PutBatch(ctx, ms[:k])
				}
				if err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	var cg sync.WaitGroup
	for c := range s.c {
		q, _ := ring.OpenMPMC(seg, "q")
		cg.Add(1)
		go func() {
			defer cg.Done()
			buf := make([]byte, 64)
			n := 0
			fn := func([]byte) error { n++; return nil }
			for {
				if batch == 1 {
					if _, err := q.Get(ctx, buf); err != nil {
						break // io.EOF after Close
					}
					n++
				} else if _, err := q.GetBatchFunc(ctx, batch, fn); err != nil {
					break
				}
			}
			got[c] = n
		}()
	}
	wg.Wait()
	q0.Close()
	cg.Wait()
	n := 0
	for _, g := range got {
		n += g
	}
	if n != per*s.p {
		b.Fatalf("%d messages taken, %d put", n, per*s.p)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds()/1e6, "Mmsg/s")
}

// BenchmarkShardScale measures the sharded design of the package doc
// ("Scaling") against BenchmarkMPMCScale, same harness and shapes: each
// producer writes its own Ring (Reserve/Commit one by one, or
// ReserveBatch runs of 32 with one Commit), and consumer c reads the rings
// c, c+C, c+2C… round-robin without blocking (TryPeek or TryPeekBatch),
// checking that each ring's records arrive in order, none lost or doubled.
// The static split of rings among consumers is the design's best case: the
// real one would let consumers claim runs from any ring with a CAS on its
// head.
func BenchmarkShardScale(b *testing.B) { benchScale(b, benchShardScale) }

func benchShardScale(b *testing.B, s scaleShape, batch int) {
	seg := segtest.NewSize(b, s.p*(256<<10)+(1<<20))
	rings := make([]*ring.Ring, s.p)
	for i := range rings {
		r, err := ring.NewRing(seg, fmt.Sprintf("r%d", i), &ring.Options{Capacity: 128 << 10})
		if err != nil {
			b.Fatal(err)
		}
		if err := r.Populate(); err != nil {
			b.Fatal(err)
		}
		rings[i] = r
	}
	ctx := context.Background()
	per := b.N/s.p + 1
	var wg sync.WaitGroup
	b.ResetTimer()
	for p, r := range rings {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer r.Close()
			for i := 0; i < per; {
				// A run may come back shorter at the ring's end.
				v, err := r.ReserveBatch(ctx, min(batch, per-i), 64)
				if err != nil {
					b.Error(err)
					return
				}
				for j := range v.Len() {
					binary.LittleEndian.PutUint64(v.At(j), uint64(p)<<40|uint64(i+j))
				}
				r.Commit()
				i += v.Len()
			}
		}()
	}
	errs := make([]error, s.c)
	got := make([]int, s.c)
	var cg sync.WaitGroup
	for c := range s.c {
		cg.Add(1)
		go func() {
			defer cg.Done()
			got[c], errs[c] = shardConsume(rings, c, s.c, batch)
		}()
	}
	wg.Wait()
	cg.Wait()
	n := 0
	for c := range s.c {
		if errs[c] != nil {
			b.Fatal(errs[c])
		}
		n += got[c]
	}
	if n != per*s.p {
		b.Fatalf("%d messages taken, %d put", n, per*s.p)
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds()/1e6, "Mmsg/s")
}

// shardConsume reads rings c, c+step… until each has ended, and returns
// how many records it took.
func shardConsume(rings []*ring.Ring, c, step, batch int) (int, error) {
	var mine []int
	for i := c; i < len(rings); i += step {
		mine = append(mine, i)
	}
	next := make([]uint64, len(rings))
	n := 0
	for len(mine) > 0 {
		took := false
		for k := 0; k < len(mine); k++ {
			i := mine[k]
			v, err := rings[i].TryPeekBatch(batch)
			if errors.Is(err, ring.ErrEmpty) {
				continue
			}
			if err != nil { // io.EOF: that producer has closed and all is read
				mine = append(mine[:k], mine[k+1:]...)
				k--
				continue
			}
			for j := range v.Len() {
				if w := binary.LittleEndian.Uint64(v.At(j)); w != uint64(i)<<40|next[i] {
					return n, fmt.Errorf("ring %d: record %#x, want %#x", i, w, uint64(i)<<40|next[i])
				}
				next[i]++
			}
			rings[i].Release()
			n += v.Len()
			took = true
		}
		if !took {
			runtime.Gosched()
		}
	}
	return n, nil
}
