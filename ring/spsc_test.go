package ring_test

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"github.com/shmkit/shmkit/internal/testutil/segtest"
	"github.com/shmkit/shmkit/ring"
)

func TestRingStreamInProcess(t *testing.T) {
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
	errc := make(chan error, 1)
	go func() {
		rng := rand.New(rand.NewPCG(1, 2))
		buf := make([]byte, 1000)
		for i := range n {
			m := buf[:msgHdr+rng.IntN(600)]
			mkMsg(m, 1, uint64(i), rng)
			if i%3 == 0 {
				b, err := r.Reserve(ctx, len(m))
				if err != nil {
					errc <- err
					return
				}
				copy(b, m)
				if i%2 == 0 {
					r.Commit()
				}
				continue
			}
			if err := r.Write(ctx, m); err != nil {
				errc <- err
				return
			}
		}
		r.Commit()
		errc <- r.Close()
	}()
	buf := make([]byte, 1000)
	for i := 0; ; i++ {
		var m []byte
		switch i % 3 {
		case 0:
			k, err := r.Read(ctx, buf)
			if err == io.EOF {
				if i != n {
					t.Fatalf("EOF after %d messages, want %d", i, n)
				}
				goto done
			}
			if err != nil {
				t.Fatal(err)
			}
			m = buf[:k]
		default:
			p, err := r.Peek(ctx)
			if err == io.EOF {
				if i != n {
					t.Fatalf("EOF after %d messages, want %d", i, n)
				}
				goto done
			}
			if err != nil {
				t.Fatal(err)
			}
			m = append(buf[:0], p...)
			if i%2 == 0 {
				r.Release()
			}
		}
		_, seq, ok := checkMsg(m)
		if !ok || seq != uint64(i) {
			t.Fatalf("message %d: seq %d checksum ok %v", i, seq, ok)
		}
	}
done:
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	st := r.Stats()
	if st.In != uint64(n) || st.Out != uint64(n) || !st.Closed {
		t.Fatalf("stats %+v", st)
	}
	if err := r.Write(ctx, []byte("x")); !errors.Is(err, os.ErrClosed) {
		t.Fatalf("write after close: %v", err)
	}
}

func TestRingTooLargeAndTry(t *testing.T) {
	seg := segtest.NewSize(t, 1<<16)
	r, err := ring.NewRing(seg, "r", &ring.Options{Capacity: 256})
	if err != nil {
		t.Fatal(err)
	}
	if r.MaxMessage() != 240 {
		t.Fatalf("max %d", r.MaxMessage())
	}
	if err := r.TryWrite(make([]byte, 241)); !errors.Is(err, ring.ErrTooLarge) {
		t.Fatalf("241 bytes: %v", err)
	}
	if _, err := r.TryRead(nil); !errors.Is(err, ring.ErrEmpty) {
		t.Fatalf("empty read: %v", err)
	}
	if err := r.TryWrite(make([]byte, 240)); err != nil {
		t.Fatal(err)
	}
	if err := r.TryWrite(nil); !errors.Is(err, ring.ErrFull) {
		t.Fatalf("full write: %v", err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel()
	if err := r.Write(ctx, []byte("x")); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("full write with timeout: %v", err)
	}
	if _, err := r.TryRead(make([]byte, 10)); !errors.Is(err, io.ErrShortBuffer) {
		t.Fatalf("short read: %v", err)
	}
	b := make([]byte, 300)
	if n, err := r.TryRead(b); err != nil || n != 240 {
		t.Fatalf("read %d %v", n, err)
	}
	ctx2, cancel2 := context.WithTimeout(context.Background(), 20*time.Millisecond)
	defer cancel2()
	if _, err := r.Read(ctx2, b); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("empty read with timeout: %v", err)
	}
	// Wrap: a record that does not fit before the end gets padding.
	for i := range 20 {
		m := make([]byte, 100+i)
		m[0] = byte(i)
		if err := r.TryWrite(m); err != nil {
			t.Fatal(i, err)
		}
		n, err := r.TryRead(b)
		if err != nil || n != 100+i || b[0] != byte(i) {
			t.Fatal(i, n, err)
		}
	}
}
