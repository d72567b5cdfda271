package ring_test

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/shmkit/shmkit/internal/testutil/segtest"
	"github.com/shmkit/shmkit/ring"
)

// runMPMC streams n messages from each of np producer goroutines to nc
// consumer goroutines and checks exactly-once, checksums and per-producer
// order.
func runMPMC(t *testing.T, q *ring.MPMC, np, nc, n, maxSize int) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	var wg sync.WaitGroup
	errc := make(chan error, np+nc)
	for p := range np {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(p), 7))
			buf := make([]byte, maxSize)
			for i := range n {
				m := buf[:msgHdr+rng.IntN(maxSize-msgHdr)]
				mkMsg(m, uint64(p), uint64(i), rng)
				var err error
				if i%2 == 0 {
					err = q.Put(ctx, m)
				} else {
					for err = q.TryPut(m); errors.Is(err, ring.ErrFull); err = q.TryPut(m) {
						time.Sleep(time.Microsecond)
					}
				}
				if err != nil {
					errc <- err
					return
				}
			}
		}()
	}
	got := make([][]uint64, nc) // per consumer: last seq+1 per producer
	counts := make([]int, nc)
	var cwg sync.WaitGroup
	for c := range nc {
		cwg.Add(1)
		got[c] = make([]uint64, np)
		go func() {
			defer cwg.Done()
			buf := make([]byte, maxSize)
			for {
				k, err := q.Get(ctx, buf)
				if err == io.EOF {
					return
				}
				if err != nil {
					errc <- err
					return
				}
				prod, seq, ok := checkMsg(buf[:k])
				if !ok || prod >= uint64(np) {
					errc <- errors.New("bad message")
					return
				}
				// Per-producer order as seen by one consumer.
				if seq+1 <= got[c][prod] {
					errc <- errors.New("out of order")
					return
				}
				got[c][prod] = seq + 1
				counts[c]++
			}
		}()
	}
	wg.Wait()
	q.Close()
	cwg.Wait()
	close(errc)
	for err := range errc {
		t.Fatal(err)
	}
	total := 0
	for _, c := range counts {
		total += c
	}
	if total != np*n {
		t.Fatalf("got %d messages, want %d", total, np*n)
	}
	st := q.Stats()
	if st.In != uint64(np*n) || st.Out != uint64(np*n) {
		t.Fatalf("stats %+v", st)
	}
}

func TestMPMCInProcess(t *testing.T) {
	n := 50000
	if testing.Short() {
		n = 5000
	}
	for _, tc := range []struct {
		name           string
		np, nc, size   int
		slots, slotLen int
	}{
		{"2x2-small", 2, 2, 100, 64, 128},
		{"4x4-spans", 4, 4, 700, 64, 128},
		{"1x3", 1, 3, 64, 16, 64},
	} {
		t.Run(tc.name, func(t *testing.T) {
			seg := segtest.NewSize(t, 1<<20)
			q, err := ring.NewMPMC(seg, "q", &ring.Options{Capacity: tc.slots, SlotSize: tc.slotLen})
			if err != nil {
				t.Fatal(err)
			}
			runMPMC(t, q, tc.np, tc.nc, n/tc.np, tc.size)
		})
	}
}
