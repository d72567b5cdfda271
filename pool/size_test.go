package pool_test

import (
	"bytes"
	"context"
	"errors"
	"hash/crc32"
	"os"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/shmkit/shmkit/internal/testutil"
	"github.com/shmkit/shmkit/pool"
	"github.com/shmkit/shmkit/process"
)

// echoSum returns its input reversed, after checking the checksum that
// leads it: every byte of a big input must arrive, in order.
var echoSum = process.Register("pooltest.echosum", func(ctx context.Context, b []byte) ([]byte, error) {
	if len(b) < 4 || crc32.ChecksumIEEE(b[4:]) != uint32(b[0])|uint32(b[1])<<8|uint32(b[2])<<16|uint32(b[3])<<24 {
		return nil, errors.New("input corrupted on the way")
	}
	out := slices.Clone(b)
	slices.Reverse(out)
	return out, nil
})

// summed returns n pseudo-random bytes led by their CRC.
func summed(n int, seed byte) []byte {
	b := make([]byte, 4+n)
	x := uint32(seed) + 1
	for i := 4; i < len(b); i++ {
		x = x*1664525 + 1013904223
		b[i] = byte(x >> 24)
	}
	c := crc32.ChecksumIEEE(b[4:])
	b[0], b[1], b[2], b[3] = byte(c), byte(c>>8), byte(c>>16), byte(c>>24)
	return b
}

// Inputs, results and errors many times a worker's ring arrive whole,
// without tuning: they travel in pieces.
func TestPoolNoSizeCliff(t *testing.T) {
	ctx := testutil.Context(t)
	p := newPool(t, pool.Options{Workers: 2, RingSize: 64 << 10})
	in := summed(3<<20, 1)
	out, err := pool.Apply(ctx, p, echoSum, in)
	if err != nil {
		t.Fatal(err)
	}
	want := slices.Clone(in)
	slices.Reverse(want)
	if !bytes.Equal(out, want) {
		t.Fatalf("a 3 MiB result through a 64 KiB ring came back wrong (%d bytes)", len(out))
	}

	// Chunks of several big inputs (Chunksize 4: 1 MiB a chunk), mixed
	// with small ones, ordered and not.
	var ins [][]byte
	for i := range 12 {
		n := 100
		if i%2 == 0 {
			n = 256 << 10
		}
		ins = append(ins, summed(n, byte(i)))
	}
	outs, err := pool.Map(ctx, p, echoSum, ins, pool.Chunksize(4))
	if err != nil {
		t.Fatal(err)
	}
	for i, o := range outs {
		w := slices.Clone(ins[i])
		slices.Reverse(w)
		if !bytes.Equal(o, w) {
			t.Fatalf("input %d (%d bytes) came back wrong", i, len(ins[i]))
		}
	}
	n := 0
	for o, err := range pool.ImapUnordered(ctx, p, echoSum, slices.Values(ins), pool.Chunksize(3)) {
		if err != nil || len(o) < 100 {
			t.Fatalf("ImapUnordered: %d bytes, %v", len(o), err)
		}
		n++
	}
	if n != len(ins) {
		t.Fatalf("ImapUnordered yielded %d of %d", n, len(ins))
	}

	// CPython's raise_large_valuerror: a 1 MiB error, 16 times the ring.
	_, err = pool.Map(ctx, p, failsAs, []string{"ok", "big"})
	var te *pool.TaskError
	if !errors.As(err, &te) || len(te.Message) != 1<<20 || strings.Trim(te.Message, "x") != "" {
		t.Fatalf("a 1 MiB error: %.100v", err)
	}
	// The pool is none the worse.
	if r, err := pool.Apply(ctx, p, square, 12); err != nil || r != 144 {
		t.Fatal(r, err)
	}
}

// dieOnMark kills its own worker on an input that starts with 0xFF, and
// returns the length of the others.
var dieOnMark = process.Register("pooltest.dieonmark", func(ctx context.Context, b []byte) (int, error) {
	if len(b) > 0 && b[0] == 0xFF {
		syscall.Kill(os.Getpid(), syscall.SIGKILL)
		time.Sleep(time.Hour)
	}
	return len(b), nil
})

// A worker that dies running an input of a chunk that came in pieces
// fails that input only; the rest of the chunk runs in its replacement.
func TestPoolDeathWithPieces(t *testing.T) {
	ctx := testutil.Context(t)
	p := newPool(t, pool.Options{Workers: 1, RingSize: 64 << 10})
	in := make([][]byte, 4)
	for i := range in {
		in[i] = make([]byte, 300<<10+i)
	}
	in[2][0] = 0xFF
	got, err := pool.Map(ctx, p, dieOnMark, in, pool.Chunksize(4))
	if !errors.Is(err, pool.ErrWorkerDied) || !strings.Contains(err.Error(), "input 2") {
		t.Fatalf("Map = %v", err)
	}
	for i, n := range got {
		if i != 2 && n != len(in[i]) {
			t.Fatalf("input %d: %d, want %d", i, n, len(in[i]))
		}
	}
}
