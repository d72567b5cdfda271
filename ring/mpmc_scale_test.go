package ring_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"sync"
	"testing"

	"github.com/shmkit/shmkit/internal/testutil/segtest"
	"github.com/shmkit/shmkit/ring"
)

// BenchmarkMPMCScale: how an MPMC queue's throughput scales with its
// producers, in a threads harness: goroutines stand in for processes, each
// with its own handle (as a process has), P producers and 2 consumers,
// 64-byte messages in 128-byte slots, one by one (batch=1: Put, Get) or
// in runs of up to 32 (PutBatch, GetBatchFunc). ns/op is per message, all producers
// together; every message is counted exactly once by the consumers. On the
// 2-core project VM, producers past 2 only time-share the cores: the
// figures show what contention on enq costs, not parallel gain (see the
// package doc, "Scaling").
func BenchmarkMPMCScale(b *testing.B) {
	for _, batch := range []int{1, 32} {
		for _, producers := range []int{1, 2, 3, 4} {
			benchMPMCScale(b, producers, batch)
		}
	}
}

func benchMPMCScale(b *testing.B, producers, batch int) {
	{
		b.Run(fmt.Sprintf("batch=%d/producers=%d", batch, producers), func(b *testing.B) {
			const consumers = 2
			seg := segtest.NewSize(b, 4<<20)
			q0, err := ring.NewMPMC(seg, "q", &ring.Options{Capacity: 1024, SlotSize: 128})
			if err != nil {
				b.Fatal(err)
			}
			if err := q0.Populate(); err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			per := b.N/producers + 1
			var wg sync.WaitGroup
			got := make([]int, consumers)
			b.ResetTimer()
			for p := range producers {
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
			for c := range consumers {
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
			if n := got[0] + got[1]; n != per*producers {
				b.Fatalf("%d messages taken, %d put", n, per*producers)
			}
		})
	}
}
