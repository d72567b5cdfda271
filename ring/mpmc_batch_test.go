package ring_test

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"sync"
	"testing"

	"github.com/shmkit/shmkit/internal/testutil/segtest"
	"github.com/shmkit/shmkit/ring"
)

// TestMPMCBatch: producers putting runs (PutBatch) and single messages of
// several slots, consumers taking runs (GetBatchFunc) and single messages
// (Get): every message arrives exactly once, whole.
func TestMPMCBatch(t *testing.T) {
	seg := segtest.NewSize(t, 4<<20)
	q0, err := ring.NewMPMC(seg, "q", &ring.Options{Capacity: 100, SlotSize: 64})
	if err != nil {
		t.Fatal(err)
	}
	const producers, consumers = 3, 3
	per := 30000
	if testing.Short() {
		per = 3000
	}
	ctx := context.Background()
	var pw sync.WaitGroup
	for p := range producers {
		q, _ := ring.OpenMPMC(seg, "q")
		pw.Add(1)
		go func() {
			defer pw.Done()
			var run [][]byte
			for i := 0; i < per; {
				if i%50 == 49 { // a message of three slots, alone
					m := make([]byte, 130)
					binary.LittleEndian.PutUint64(m, uint64(p)<<32|uint64(i))
					m[129] = byte(i)
					if err := q.Put(ctx, m); err != nil {
						t.Error(err)
						return
					}
					i++
					continue
				}
				run = run[:0]
				for j := i; j < min(i+1+i%37, per) && j%50 != 49; j++ {
					m := make([]byte, 8+j%40)
					binary.LittleEndian.PutUint64(m, uint64(p)<<32|uint64(j))
					run = append(run, m)
				}
				n, err := q.PutBatch(ctx, run)
				if err != nil || n != len(run) {
					t.Error(n, err)
					return
				}
				i += n
			}
		}()
	}
	seen := make([][]bool, producers)
	for p := range seen {
		seen[p] = make([]bool, per)
	}
	var mu sync.Mutex
	take := func(m []byte) error {
		v := binary.LittleEndian.Uint64(m)
		p, i := int(v>>32), int(uint32(v))
		if p >= producers || i >= per {
			return errors.New("bad message")
		}
		if want := 8 + i%40; i%50 == 49 {
			if len(m) != 130 || m[129] != byte(i) {
				return errors.New("torn long message")
			}
		} else if len(m) != want {
			return errors.New("bad length")
		}
		mu.Lock()
		defer mu.Unlock()
		if seen[p][i] {
			return errors.New("twice")
		}
		seen[p][i] = true
		return nil
	}
	var cw sync.WaitGroup
	for c := range consumers {
		q, _ := ring.OpenMPMC(seg, "q")
		cw.Add(1)
		go func() {
			defer cw.Done()
			buf := make([]byte, 200)
			for {
				if c == 0 {
					n, err := q.Get(ctx, buf)
					if err != nil {
						return
					}
					if err := take(buf[:n]); err != nil {
						t.Error(err)
						return
					}
					continue
				}
				if _, err := q.GetBatchFunc(ctx, 1+c*10, take); err != nil {
					if !errors.Is(err, io.EOF) {
						t.Error(err)
					}
					return
				}
			}
		}()
	}
	pw.Wait()
	q0.Close()
	cw.Wait()
	for p := range seen {
		for i, ok := range seen[p] {
			if !ok {
				t.Fatalf("message %d of producer %d lost", i, p)
			}
		}
	}
}
