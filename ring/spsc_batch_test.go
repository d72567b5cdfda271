package ring_test

import (
	"context"
	"encoding/binary"
	"errors"
	"testing"
	"time"

	"github.com/shmkit/shmkit/internal/testutil/segtest"
	"github.com/shmkit/shmkit/ring"
)

// TestRingBatchStream: runs of equal-size records (sizes changing between
// runs, not multiples of 8, wrapping a small ring) reach a reader that
// mixes PeekBatch, Peek and Read, in order and intact; and runs written
// record by record come out of PeekBatch whole.
func TestRingBatchStream(t *testing.T) {
	seg := segtest.NewSize(t, 1<<20)
	r, err := ring.NewRing(seg, "r", &ring.Options{Capacity: 4096})
	if err != nil {
		t.Fatal(err)
	}
	n := 200000
	if testing.Short() {
		n = 20000
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	sizeOf := func(seq int) int { return 8 + (seq/100)%57 } // runs of 100 of one size
	stamp := func(b []byte, seq int) {
		binary.LittleEndian.PutUint64(b, uint64(seq))
		for i := 8; i < len(b); i++ {
			b[i] = byte(seq + i)
		}
	}
	errc := make(chan error, 1)
	go func() {
		for seq := 0; seq < n; {
			want := min(1+seq%40, 100-seq%100, n-seq)
			size := sizeOf(seq)
			if seq%7 == 0 { // some record by record
				b, err := r.Reserve(ctx, size)
				if err != nil {
					errc <- err
					return
				}
				stamp(b, seq)
				seq++
				r.Commit()
				continue
			}
			v, err := r.ReserveBatch(ctx, want, size)
			if err != nil {
				errc <- err
				return
			}
			if v.Len() < 1 || v.Len() > want || v.Size() != size {
				errc <- errors.New("bad run")
				return
			}
			for i := range v.Len() {
				stamp(v.At(i), seq+i)
			}
			seq += v.Len()
			r.Commit()
		}
		errc <- r.Close()
	}()
	check := func(b []byte, seq int) {
		t.Helper()
		if len(b) != sizeOf(seq) || binary.LittleEndian.Uint64(b) != uint64(seq) {
			t.Fatalf("record %d: %d bytes, seq %d", seq, len(b), binary.LittleEndian.Uint64(b))
		}
		for i := 8; i < len(b); i++ {
			if b[i] != byte(seq+i) {
				t.Fatalf("record %d: byte %d differs", seq, i)
			}
		}
	}
	buf := make([]byte, 100)
	seq := 0
	for ; seq < n; seq++ {
		switch seq % 5 {
		case 0:
			k, err := r.Read(ctx, buf)
			if err != nil {
				t.Fatal(err)
			}
			check(buf[:k], seq)
		default:
			v, err := r.PeekBatch(ctx, seq%13)
			if err != nil {
				t.Fatal(err)
			}
			all := v.Bytes()
			for i := range v.Len() {
				check(v.At(i), seq+i)
				check(all[i*v.Stride():i*v.Stride()+v.Size()], seq+i)
			}
			seq += v.Len() - 1
			r.Release()
		}
	}
	if _, err := r.PeekBatch(ctx, 0); err == nil {
		t.Fatal("read past the end")
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}

func TestRingBatchTry(t *testing.T) {
	seg := segtest.NewSize(t, 1<<20)
	r, err := ring.NewRing(seg, "r", &ring.Options{Capacity: 4096})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := r.TryPeekBatch(0); !errors.Is(err, ring.ErrEmpty) {
		t.Fatalf("empty ring: %v", err)
	}
	total := 0
	for {
		v, err := r.TryReserveBatch(1000, 64)
		if errors.Is(err, ring.ErrFull) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		total += v.Len()
	}
	if total != (4096-8)/72 {
		t.Fatalf("a 4 KiB ring took %d records of 64 bytes", total)
	}
	v, err := r.TryPeekBatch(0)
	if err != nil || v.Len() != total {
		t.Fatalf("peeked %d of %d: %v", v.Len(), total, err)
	}
	if _, err := r.TryReserveBatch(0, 64); err == nil {
		t.Fatal("a batch of 0 records")
	}
	if _, err := r.TryReserveBatch(1, 1<<20); !errors.Is(err, ring.ErrTooLarge) {
		t.Fatalf("a record too large: %v", err)
	}
}
