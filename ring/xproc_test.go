package ring_test

import (
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/shmkit/shmkit/internal/testutil"
	"github.com/shmkit/shmkit/internal/testutil/proctest"
	"github.com/shmkit/shmkit/internal/testutil/segtest"
	"github.com/shmkit/shmkit/process"
	"github.com/shmkit/shmkit/ring"
	"github.com/shmkit/shmkit/shm"
)

// messages is how many messages each producer sends in the stream tests:
// modest by default (CI runs on 2 cores), SHMKIT_RING_MESSAGES for more.
func messages(def int) int {
	if s := os.Getenv("SHMKIT_RING_MESSAGES"); s != "" {
		if n, err := strconv.Atoi(s); err == nil && n > 0 {
			return n
		}
	}
	if testing.Short() {
		return def / 10
	}
	return def
}

func TestRingAcrossProcesses(t *testing.T) {
	for _, batch := range []int{1, 16} {
		t.Run("batch"+strconv.Itoa(batch), func(t *testing.T) {
			ctx := testutil.Context(t)
			seg := segtest.NewSize(t, 1<<20)
			r, err := ring.NewRing(seg, "r", &ring.Options{Capacity: 64 << 10})
			if err != nil {
				t.Fatal(err)
			}
			n := messages(100000)
			p := proctest.Start(t, ctx, produceTask, produceArg{R: r, N: n, MinSize: msgHdr, MaxSize: 2000, Batch: batch, Seed: 1, CloseEnd: true})
			got := 0
			for {
				rec, err := r.Peek(ctx)
				if err == io.EOF {
					break
				}
				if err != nil {
					t.Fatal(err)
				}
				_, seq, ok := checkMsg(rec)
				if !ok || seq != uint64(got) {
					t.Fatalf("message %d: seq %d, checksum ok %v", got, seq, ok)
				}
				got++
				if got%7 == 0 {
					r.Release()
				}
			}
			if got != n {
				t.Fatalf("got %d messages, want %d", got, n)
			}
			if err := p.Join(ctx); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// mpmcSetup makes a queue and the shared bitmap for np producers of n.
func mpmcSetup(t *testing.T, np, n int, opts *ring.Options) (*ring.MPMC, bitmap, shm.Handle) {
	seg := segtest.NewSize(t, 4<<20+bitmapBytes(np, n))
	q, err := ring.NewMPMC(seg, "q", opts)
	if err != nil {
		t.Fatal(err)
	}
	o, err := seg.Alloc("seen", bitmapBytes(np, n), 8)
	if err != nil {
		t.Fatal(err)
	}
	return q, bitmap(o.Bytes()), o.Handle()
}

func TestMPMCAcrossProcesses(t *testing.T) {
	for _, tc := range []struct {
		name   string
		np, nc int
	}{{"2x2", 2, 2}, {"4x4", 4, 4}} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := testutil.Context(t)
			n := messages(50000) / tc.np
			q, seen, sh := mpmcSetup(t, tc.np, n, &ring.Options{Capacity: 256, SlotSize: 128})
			var prods []*process.Process
			for i := range tc.np {
				prods = append(prods, proctest.Start(t, ctx, produceTask, produceArg{Q: q, Prod: i, N: n, MinSize: msgHdr, MaxSize: 400, Seed: 2}))
			}
			var wg sync.WaitGroup
			errs := make(chan error, tc.nc)
			counts := make([]int, tc.nc)
			for i := range tc.nc {
				wg.Add(1)
				go func() {
					defer wg.Done()
					c, err := process.Run(ctx, consumeTask, consumeArg{Q: q, Seen: sh, NP: tc.np, N: n})
					counts[i] = c
					errs <- err
				}()
			}
			for _, p := range prods {
				if err := p.Join(ctx); err != nil {
					t.Fatal(err)
				}
			}
			q.Close()
			wg.Wait()
			close(errs)
			for err := range errs {
				if err != nil {
					t.Fatal(err)
				}
			}
			total := 0
			for _, c := range counts {
				total += c
			}
			for i := range tc.np * n {
				if !seen.has(i) {
					t.Fatalf("producer %d message %d never delivered", i/n, i%n)
				}
			}
			if total != tc.np*n {
				t.Fatalf("delivered %d, want %d", total, tc.np*n)
			}
		})
	}
}

// waitFlag polls a shared flag word until a child sets it.
func waitFlag(t *testing.T, ctx context.Context, h shm.Handle) {
	t.Helper()
	f := flagWord(h)
	for f.Load() == 0 {
		if ctx.Err() != nil {
			t.Fatal("child never reached its hang point")
		}
		time.Sleep(time.Millisecond)
	}
}

func TestMPMCProducerKilledAfterClaim(t *testing.T) {
	ctx := testutil.Context(t)
	seg := segtest.NewSize(t, 1<<20)
	q, err := ring.NewMPMC(seg, "q", &ring.Options{Capacity: 8, SlotSize: 128})
	if err != nil {
		t.Fatal(err)
	}
	flag, _ := seg.Alloc("flag", 8, 8)
	p := proctest.Start(t, ctx, hangPutTask, hangArg{Q: q, Flag: flag.Handle()})
	waitFlag(t, ctx, flag.Handle())
	// The child holds a claim of 3 slots (300 bytes) and hangs: a consumer
	// must wait for it, not skip it, while it lives.
	if err := q.Put(ctx, []byte("after")); err != nil {
		t.Fatal(err)
	}
	short, c := context.WithTimeout(ctx, 30*time.Millisecond)
	defer c()
	buf := make([]byte, 1000)
	if _, err := q.Get(short, buf); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("get past a live producer's claim: %v", err)
	}
	p.Kill()
	p.Join(ctx)
	// Dead: the claim is skipped, the next message arrives, nothing torn.
	n, err := q.Get(ctx, buf)
	if err != nil || string(buf[:n]) != "after" {
		t.Fatalf("get after the producer died: %q %v", buf[:n], err)
	}
	if st := q.Stats(); st.DeadSkipped != 1 {
		t.Fatalf("stats %+v", st)
	}
	// The queue goes on: fill it and drain it twice round.
	for i := range 16 {
		if err := q.Put(ctx, []byte{byte(i)}); err != nil {
			t.Fatal(err)
		}
		if n, err := q.Get(ctx, buf); err != nil || n != 1 || buf[0] != byte(i) {
			t.Fatal(i, n, err)
		}
	}
}

func TestMPMCConsumerKilledAfterTake(t *testing.T) {
	ctx := testutil.Context(t)
	seg := segtest.NewSize(t, 1<<20)
	q, err := ring.NewMPMC(seg, "q", &ring.Options{Capacity: 4, SlotSize: 64})
	if err != nil {
		t.Fatal(err)
	}
	flag, _ := seg.Alloc("flag", 8, 8)
	if err := q.Put(ctx, []byte("lost")); err != nil {
		t.Fatal(err)
	}
	p := proctest.Start(t, ctx, hangGetTask, hangArg{Q: q, Flag: flag.Handle()})
	waitFlag(t, ctx, flag.Handle())
	for i := range 3 {
		if err := q.Put(ctx, []byte{byte(i)}); err != nil {
			t.Fatal(err)
		}
	}
	// The fourth put needs the slot the hung consumer holds.
	short, c := context.WithTimeout(ctx, 30*time.Millisecond)
	defer c()
	if err := q.Put(short, []byte{3}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("put over a live consumer's slot: %v", err)
	}
	p.Kill()
	p.Join(ctx)
	if err := q.Put(ctx, []byte{3}); err != nil {
		t.Fatalf("put after the consumer died: %v", err)
	}
	buf := make([]byte, 64)
	for i := range 4 {
		if n, err := q.Get(ctx, buf); err != nil || n != 1 || buf[0] != byte(i) {
			t.Fatal(i, n, err)
		}
	}
	if st := q.Stats(); st.DeadSkipped != 1 {
		t.Fatalf("stats %+v", st)
	}
}

func TestRingProducerKilledMidReserve(t *testing.T) {
	ctx := testutil.Context(t)
	seg := segtest.NewSize(t, 1<<20)
	r, err := ring.NewRing(seg, "r", &ring.Options{Capacity: 4096})
	if err != nil {
		t.Fatal(err)
	}
	flag, _ := seg.Alloc("flag", 8, 8)
	p := proctest.Start(t, ctx, hangReserveTask, hangArg{R: r, Flag: flag.Handle()})
	waitFlag(t, ctx, flag.Handle())
	p.Kill()
	p.Join(ctx)
	buf := make([]byte, 4096)
	if n, err := r.TryRead(buf); err != nil || string(buf[:n]) != "committed" {
		t.Fatalf("%q %v", buf[:n], err)
	}
	if _, err := r.TryRead(buf); !errors.Is(err, ring.ErrEmpty) {
		t.Fatalf("read of an uncommitted record: %v", err)
	}
	// A new producer takes over from the last commit.
	if err := r.Write(ctx, []byte("next")); err != nil {
		t.Fatal(err)
	}
	if n, err := r.TryRead(buf); err != nil || string(buf[:n]) != "next" {
		t.Fatalf("%q %v", buf[:n], err)
	}
}

// TestMPMCKillRandom kills producers and a consumer at random points of a
// 2x2 stream: nothing torn or duplicated, producers' deliveries stay
// prefixes, at most one message lost per killed consumer, and the queue
// drains to EOF within the test's bound.
// TestMPMCKillRandom kills a producer and a consumer at random points of a
// 3x3 stream, SHMKIT_KILL_LOOPS times (default 1: two kills).
func TestMPMCKillRandom(t *testing.T) {
	for round := range killLoops(1) {
		t.Run(strconv.Itoa(round), mpmcKillRound)
	}
}

func mpmcKillRound(t *testing.T) {
	ctx := testutil.Context(t)
	const np, nc = 3, 3
	n := messages(60000)
	q, seen, sh := mpmcSetup(t, np, n, &ring.Options{Capacity: 64, SlotSize: 128})
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 3))
	var prods []*process.Process
	for i := range np {
		prods = append(prods, proctest.Start(t, ctx, produceTask, produceArg{Q: q, Prod: i, N: n, MinSize: msgHdr, MaxSize: 300, Seed: 4}))
	}
	var cons []*process.Process
	for range nc {
		cons = append(cons, proctest.Start(t, ctx, consumeTask, consumeArg{Q: q, Seen: sh, NP: np, N: n}))
	}
	// Kill producer 0 and consumer 0 at random points of the stream (by
	// messages committed, so that it is mid-stream however fast it runs).
	waitIn := func(k int) {
		for q.Stats().In < uint64(k) && ctx.Err() == nil {
			time.Sleep(20 * time.Microsecond)
		}
	}
	waitIn(n/4 + rng.IntN(n/2))
	prods[0].Kill()
	waitIn(n + rng.IntN(n))
	cons[0].Kill()
	for _, p := range prods[1:] {
		if err := p.Join(ctx); err != nil {
			t.Fatalf("producer: %v", err)
		}
	}
	q.Close()
	for _, c := range cons[1:] {
		if err := c.Join(ctx); err != nil {
			t.Fatalf("consumer: %v", err)
		}
	}
	missing := 0
	for p := range np {
		last := -1
		for i := range n {
			if seen.has(p*n + i) {
				last = i
			}
		}
		if p > 0 {
			last = n - 1 // a surviving producer's whole stream counts
		}
		for i := range last + 1 {
			if !seen.has(p*n + i) {
				missing++
			}
		}
	}
	// A killed consumer loses at most the message it had taken; the one a
	// killed producer had claimed was never committed, so it is no gap.
	if missing > 1 {
		t.Fatalf("%d messages lost", missing)
	}
	t.Logf("stats %+v", q.Stats())
}

func TestPipeAcrossProcesses(t *testing.T) {
	ctx := testutil.Context(t)
	seg := segtest.NewSize(t, 1<<20)
	here, there, err := ring.NewPipe(seg, "p", true, &ring.Options{Capacity: 64 << 10})
	if err != nil {
		t.Fatal(err)
	}
	p := proctest.Start(t, ctx, echoTask, there)
	for i := range 100 {
		if err := here.Send(ctx, []int{i, i + 1}); err != nil {
			t.Fatal(err)
		}
		var v []int
		if err := here.Recv(ctx, &v); err != nil || len(v) != 2 || v[0] != 2*i || v[1] != 2*i+2 {
			t.Fatal(i, v, err)
		}
	}
	here.Close()
	if err := p.Join(ctx); err != nil {
		t.Fatal(err)
	}
}
