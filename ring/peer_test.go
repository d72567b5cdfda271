package ring_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"slices"
	"testing"
	"time"

	"github.com/shmkit/shmkit/internal/testutil"
	"github.com/shmkit/shmkit/internal/testutil/proctest"
	"github.com/shmkit/shmkit/internal/testutil/segtest"
	"github.com/shmkit/shmkit/process"
	"github.com/shmkit/shmkit/ring"
	"github.com/shmkit/shmkit/shm"
)

// Dead peers of a Ring and a Pipe, across real processes: a child is
// SIGKILLed mid-stream or while its peer waits, and the parent must get
// what was committed, then ErrPeerDead, within reportBound of the kill.
// (Before the sides recorded their owners, these waits never ended: every
// test here ran into its context.)

// reportBound is what a test accepts between a kill and its report: the
// design is one 50 ms peer slice; the rest is room for a loaded machine.
const reportBound = 2 * time.Second

// deathArg is the argument of the dead-peer roles.
type deathArg struct {
	R        *ring.Ring
	C        *ring.Conn
	Flag     shm.Handle
	Prod     uint64
	N        int // messages; 0 = until killed
	MinSize  int
	MaxSize  int
	Batch    int // Ring: records per WriteBatch (1: Write)
	Seed     uint64
	CloseEnd bool
}

var (
	// connWriteTask sends checked messages on a pipe end until killed (or
	// N of them, then closes).
	connWriteTask = process.Register("ring.connwrite", func(ctx context.Context, a deathArg) (int, error) {
		rng := rand.New(rand.NewPCG(a.Seed, a.Prod))
		buf := make([]byte, a.MaxSize)
		for i := 0; a.N == 0 || i < a.N; i++ {
			m := buf[:a.MinSize+rng.IntN(a.MaxSize-a.MinSize+1)]
			mkMsg(m, a.Prod, uint64(i), rng)
			if err := a.C.SendBytes(ctx, m); err != nil {
				return i, err
			}
		}
		if a.CloseEnd {
			a.C.Close()
		}
		return a.N, nil
	})

	// hangReadTask takes one record (which makes it the reader), raises
	// the flag and hangs without reading more.
	hangReadTask = process.Register("ring.hangread", func(ctx context.Context, a deathArg) (struct{}, error) {
		var err error
		if a.R != nil {
			_, err = a.R.Read(ctx, make([]byte, 1<<16))
		} else {
			_, err = a.C.RecvBytes(ctx)
		}
		if err != nil {
			return struct{}{}, err
		}
		flagWord(a.Flag).Store(1)
		select {}
	})

	// ringWriteTask writes checked messages (WriteBatch of Batch) until
	// killed, or N of them, then closes.
	ringWriteTask = process.Register("ring.ringwrite", func(ctx context.Context, a deathArg) (int, error) {
		rng := rand.New(rand.NewPCG(a.Seed, a.Prod))
		batch := make([][]byte, 0, a.Batch)
		for i := 0; a.N == 0 || i < a.N; i++ {
			m := make([]byte, a.MinSize+rng.IntN(a.MaxSize-a.MinSize+1))
			mkMsg(m, a.Prod, uint64(i), rng)
			batch = append(batch, m)
			if len(batch) < a.Batch && i != a.N-1 {
				continue
			}
			var err error
			if len(batch) == 1 {
				err = a.R.Write(ctx, m)
			} else {
				_, err = a.R.WriteBatch(ctx, batch)
			}
			if err != nil {
				return i, err
			}
			batch = batch[:0]
		}
		if a.CloseEnd {
			a.R.Close()
		}
		return a.N, nil
	})
)

func killLoops(def int) int { return testutil.KillLoops(def) }

// killTimes collects kill-to-report times and logs their p50 and max.
type killTimes []time.Duration

func (l *killTimes) add(t *testing.T, d time.Duration) {
	t.Helper()
	if d > reportBound {
		t.Errorf("dead peer reported %v after the kill, want within %v", d, reportBound)
	}
	*l = append(*l, d)
}

func (l killTimes) log(t *testing.T, what string) {
	t.Helper()
	s := slices.Clone(l)
	slices.Sort(s)
	if len(s) > 0 {
		t.Logf("%s: kill to ErrPeerDead over %d kills: p50 %v, max %v", what, len(s),
			s[len(s)/2].Round(time.Microsecond), s[len(s)-1].Round(time.Microsecond))
	}
}

// readStream reads checked messages of producer prod with next, in
// sequence from 0, until an error, which it returns with the count. After
// kill messages it calls onKill once (kill < 0: never).
func readStream(t *testing.T, next func() ([]byte, error), prod uint64, kill int, onKill func()) (int, error) {
	t.Helper()
	for n := 0; ; n++ {
		if n == kill {
			onKill()
		}
		rec, err := next()
		if err != nil {
			return n, err
		}
		p, seq, ok := checkMsg(rec)
		if !ok || p != prod || seq != uint64(n) {
			t.Fatalf("message %d: torn or out of order: %d bytes, producer %d seq %d, checksum ok %v", n, len(rec), p, seq, ok)
		}
	}
}

// TestRingWriterKilled: a child writer SIGKILLed mid-stream; the parent
// reads every committed message, checked, then gets ErrPeerDead within
// reportBound; nothing is left behind. Then ForgetDeadPeers lets a new
// writer take over and the stream goes on to a clean EOF.
func TestRingWriterKilled(t *testing.T) {
	ctx := testutil.Context(t)
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 7))
	var lat killTimes
	for i := range 4 {
		seg := segtest.NewSize(t, 1<<20)
		r, err := ring.NewRing(seg, "r", &ring.Options{Capacity: 16 << 10})
		if err != nil {
			t.Fatal(err)
		}
		p := proctest.Start(t, ctx, ringWriteTask, deathArg{R: r, Prod: 1, MinSize: msgHdr, MaxSize: 600, Batch: 1 + i%2*7, Seed: uint64(i)})
		buf := make([]byte, r.MaxMessage())
		var killed time.Time
		n, err := readStream(t, func() ([]byte, error) {
			k, err := r.Read(ctx, buf)
			return buf[:k], err
		}, 1, 200+rng.IntN(2000), func() { killed = time.Now(); p.Kill() })
		lat.add(t, time.Since(killed))
		if !errors.Is(err, ring.ErrPeerDead) {
			t.Fatalf("read after %d messages and the writer's death: %v, want ErrPeerDead", n, err)
		}
		if in := r.Stats().In; uint64(n) < in {
			t.Fatalf("read %d messages, the writer committed %d", n, in)
		}
		if _, err := r.TryRead(buf); !errors.Is(err, ring.ErrEmpty) {
			t.Fatalf("after ErrPeerDead: %v, want an empty ring", err)
		}
		// Sticky: a second read reports it again, without waiting long.
		if _, err := r.Read(ctx, buf); !errors.Is(err, ring.ErrPeerDead) {
			t.Fatalf("second read: %v", err)
		}
		p.Join(ctx)
		if i > 0 {
			continue
		}
		// A replacement writer: forget the dead one, then the reader waits
		// for the new one, which takes over after the last commit.
		if got := r.ForgetDeadPeers(); got != 1 {
			t.Fatalf("ForgetDeadPeers cleared %d sides, want 1", got)
		}
		p2 := proctest.Start(t, ctx, ringWriteTask, deathArg{R: r, Prod: 2, N: 500, MinSize: msgHdr, MaxSize: 600, Batch: 1, Seed: 9, CloseEnd: true})
		if n, err := readStream(t, func() ([]byte, error) {
			k, err := r.Read(ctx, buf)
			return buf[:k], err
		}, 2, -1, nil); err != io.EOF || n != 500 {
			t.Fatalf("replacement writer: %d messages, %v", n, err)
		}
		if err := p2.Join(ctx); err != nil {
			t.Fatal(err)
		}
	}
	lat.log(t, "ring reader")
}

// TestRingReaderKilled: the parent writer blocks on a full ring while a
// live child reader hangs (no false report), then the child is killed and
// the blocked Write fails with ErrPeerDead within reportBound.
func TestRingReaderKilled(t *testing.T) {
	ctx := testutil.Context(t)
	var lat killTimes
	for i := range 3 {
		seg := segtest.NewSize(t, 1<<20)
		r, err := ring.NewRing(seg, "r", &ring.Options{Capacity: 4096})
		if err != nil {
			t.Fatal(err)
		}
		flag, _ := seg.Alloc("flag", 8, 8)
		p := proctest.Start(t, ctx, hangReadTask, deathArg{R: r, Flag: flag.Handle()})
		if err := r.Write(ctx, []byte("first")); err != nil {
			t.Fatal(err)
		}
		waitFlag(t, ctx, flag.Handle())
		for r.TryWrite(make([]byte, 100)) == nil { // fill it
		}
		if i == 0 {
			// Alive and hung: the writer waits, and is not told otherwise.
			short, cancel := context.WithTimeout(ctx, 150*time.Millisecond)
			err := r.Write(short, make([]byte, 100))
			cancel()
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("write to a full ring with a live reader: %v", err)
			}
		}
		errc := make(chan error, 1)
		go func() { errc <- r.Write(ctx, make([]byte, 100)) }()
		sleeps := r.Stats().Sleeps
		testutil.WaitFor(t, ctx, "the writer to sleep", func() bool { return r.Stats().Sleeps > sleeps })
		killed := time.Now()
		p.Kill()
		err = <-errc
		lat.add(t, time.Since(killed))
		if !errors.Is(err, ring.ErrPeerDead) {
			t.Fatalf("write to a full ring after the reader's death: %v", err)
		}
		p.Join(ctx)
	}
	lat.log(t, "ring writer")
}

// TestPipeWriterKilled: the same through a Pipe: Recv and RecvBytes get
// ErrPeerDead, and a Conn's Read (io.Reader) an error that is both
// io.ErrUnexpectedEOF and ErrPeerDead.
func TestPipeWriterKilled(t *testing.T) {
	ctx := testutil.Context(t)
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 8))
	var lat killTimes
	for i := range 4 {
		seg := segtest.NewSize(t, 1<<20)
		here, there, err := ring.NewPipe(seg, "p", true, &ring.Options{Capacity: 8 << 10})
		if err != nil {
			t.Fatal(err)
		}
		p := proctest.Start(t, ctx, connWriteTask, deathArg{C: there, Prod: 3, MinSize: msgHdr, MaxSize: 300, Seed: uint64(i)})
		there.Close() // the child holds it (Python's idiom): the parent's copy would keep the pipe open
		var killed time.Time
		next := func() ([]byte, error) { return here.RecvBytes(ctx) }
		if i%2 == 1 { // io.Reader: messages of at most 300 bytes, read whole
			buf := make([]byte, 300)
			next = func() ([]byte, error) {
				k, err := here.Read(buf)
				return buf[:k], err
			}
		}
		n, err := readStream(t, next, 3, 100+rng.IntN(1000), func() { killed = time.Now(); p.Kill() })
		lat.add(t, time.Since(killed))
		if !errors.Is(err, ring.ErrPeerDead) {
			t.Fatalf("recv after %d messages and the writer's death: %v", n, err)
		}
		if i%2 == 1 && !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Fatalf("Conn.Read after the writer's death: %v, want io.ErrUnexpectedEOF too", err)
		}
		var v int
		if err := here.Recv(ctx, &v); !errors.Is(err, ring.ErrPeerDead) {
			t.Fatalf("Recv after the writer's death: %v", err)
		}
		p.Join(ctx)
	}
	lat.log(t, "pipe reader")
}

// TestPipeReaderKilled: a child holding the other end reads one message and
// hangs; the parent's SendBytes, then its io.Writer Write, block on the
// full ring and fail with ErrPeerDead once the child is killed.
func TestPipeReaderKilled(t *testing.T) {
	ctx := testutil.Context(t)
	var lat killTimes
	for i := range 2 {
		seg := segtest.NewSize(t, 1<<20)
		here, there, err := ring.NewPipe(seg, "p", true, &ring.Options{Capacity: 4096})
		if err != nil {
			t.Fatal(err)
		}
		flag, _ := seg.Alloc("flag", 8, 8)
		p := proctest.Start(t, ctx, hangReadTask, deathArg{C: there, Flag: flag.Handle()})
		there.Close()
		if err := here.SendBytes(ctx, []byte("first")); err != nil {
			t.Fatal(err)
		}
		waitFlag(t, ctx, flag.Handle())
		errc := make(chan error, 1)
		go func() {
			if i == 0 {
				for {
					if err := here.SendBytes(ctx, make([]byte, 100)); err != nil {
						errc <- err
						return
					}
				}
			}
			_, err := here.Write(make([]byte, 1<<20)) // far more than the ring holds
			errc <- err
		}()
		time.Sleep(20 * time.Millisecond) // let it fill the ring and sleep
		killed := time.Now()
		p.Kill()
		err = <-errc
		lat.add(t, time.Since(killed))
		if !errors.Is(err, ring.ErrPeerDead) {
			t.Fatalf("send to a full pipe after the reader's death: %v", err)
		}
		p.Join(ctx)
	}
	lat.log(t, "pipe writer")
}

// TestRingKillRandom kills a ring's writer at random points of random
// streams (sizes, batches, capacities): the reader never sees a torn or
// missing message, gets ErrPeerDead within reportBound, and a new writer
// goes on after the last commit. SHMKIT_KILL_LOOPS sets the number of
// kills (default 5).
func TestRingKillRandom(t *testing.T) {
	ctx := testutil.Context(t)
	seed := uint64(time.Now().UnixNano())
	rng := rand.New(rand.NewPCG(seed, 11))
	loops := killLoops(5)
	t.Logf("seed %d, %d kills", seed, loops)
	var lat killTimes
	for i := range loops {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			seg := segtest.NewSize(t, 1<<20)
			capacity := 1024 << rng.IntN(6)
			r, err := ring.NewRing(seg, "r", &ring.Options{Capacity: capacity})
			if err != nil {
				t.Fatal(err)
			}
			maxSize := msgHdr + rng.IntN(min(capacity/2, 3000))
			batch := 1 + rng.IntN(3)*rng.IntN(16)
			p := proctest.Start(t, ctx, ringWriteTask, deathArg{R: r, Prod: 4, MinSize: msgHdr, MaxSize: maxSize, Batch: batch, Seed: seed + uint64(i)})
			// Kill at a random time once the stream runs, from another
			// goroutine, so that the writer may be anywhere: copying,
			// committing, waiting for room.
			killedc := make(chan time.Time, 1)
			started := make(chan struct{})
			go func() {
				select {
				case <-started:
				case <-ctx.Done():
					return
				}
				time.Sleep(time.Duration(rng.IntN(20000)) * time.Microsecond)
				killedc <- time.Now()
				p.Kill()
			}()
			buf := make([]byte, r.MaxMessage())
			n, err := readStream(t, func() ([]byte, error) {
				k, err := r.Read(ctx, buf)
				return buf[:k], err
			}, 4, 1, func() { close(started) })
			lat.add(t, time.Since(<-killedc))
			if !errors.Is(err, ring.ErrPeerDead) {
				t.Fatalf("capacity %d, sizes to %d, batch %d: after %d messages: %v", capacity, maxSize, batch, n, err)
			}
			if _, err := r.TryRead(buf); !errors.Is(err, ring.ErrEmpty) {
				t.Fatalf("after ErrPeerDead: %v", err)
			}
			p.Join(ctx)
			// A replacement writer goes on after the last commit; what the
			// dead one had reserved is never seen.
			r.ForgetDeadPeers()
			p2 := proctest.Start(t, ctx, ringWriteTask, deathArg{R: r, Prod: 5, N: 300, MinSize: msgHdr, MaxSize: maxSize, Batch: batch, Seed: seed, CloseEnd: true})
			if n, err := readStream(t, func() ([]byte, error) {
				k, err := r.Read(ctx, buf)
				return buf[:k], err
			}, 5, -1, nil); err != io.EOF || n != 300 {
				t.Fatalf("replacement writer: %d messages, %v", n, err)
			}
			if err := p2.Join(ctx); err != nil {
				t.Fatal(err)
			}
		})
	}
	lat.log(t, "random kills")
}

// TestConnDeadlines: Read and Write honour net.Conn-style deadlines: a
// past one fails at once, a future one fails a waiting call when it
// passes, one set while a call waits applies to it, the zero time removes
// it; the error is os.ErrDeadlineExceeded.
func TestConnDeadlines(t *testing.T) {
	ctx := testutil.Context(t)
	a, b, err := ring.NewPipe(segtest.NewSize(t, 1<<20), "p", true, &ring.Options{Capacity: 1024})
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 64)
	// Past: at once, even with data there.
	if err := b.SendBytes(ctx, []byte("data")); err != nil {
		t.Fatal(err)
	}
	a.SetReadDeadline(time.Now().Add(-time.Second))
	if _, err := a.Read(buf); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read past its deadline: %v", err)
	}
	// Cleared: the data is there.
	a.SetReadDeadline(time.Time{})
	if n, err := a.Read(buf); err != nil || string(buf[:n]) != "data" {
		t.Fatalf("read after clearing the deadline: %q %v", buf[:n], err)
	}
	// Future: a waiting Read fails when it passes, not before.
	start := time.Now()
	a.SetReadDeadline(start.Add(30 * time.Millisecond))
	if _, err := a.Read(buf); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read on an empty pipe with a deadline: %v", err)
	}
	if el := time.Since(start); el < 30*time.Millisecond || el > 5*time.Second {
		t.Fatalf("read with a 30 ms deadline returned after %v", el)
	}
	// Set while a Read waits: extended, then moved to now.
	a.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
	errc := make(chan error, 1)
	go func() {
		_, err := a.Read(buf)
		errc <- err
	}()
	a.SetReadDeadline(time.Now().Add(time.Hour))
	time.Sleep(50 * time.Millisecond)
	select {
	case err := <-errc:
		t.Fatalf("read ended at its first deadline, which was extended: %v", err)
	default:
	}
	a.SetDeadline(time.Now())
	select {
	case err := <-errc:
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("interrupted read: %v", err)
		}
	case <-ctx.Done():
		t.Fatal("a read kept waiting past a deadline set while it waited")
	}
	// Write: blocks on the full ring (nobody reads b's direction), fails
	// at its deadline having written what fitted.
	b.SetWriteDeadline(time.Now().Add(30 * time.Millisecond))
	n, err := b.Write(make([]byte, 8000))
	if !errors.Is(err, os.ErrDeadlineExceeded) || n >= 8000 {
		t.Fatalf("write to a full pipe with a deadline: %d, %v", n, err)
	}
	b.SetWriteDeadline(time.Time{})
	// The stream still works both ways.
	a.SetDeadline(time.Time{})
	wrote := make(chan struct{})
	go func() { b.Write([]byte("more")); close(wrote) }()
	// The segment is unmapped at cleanup: the writer must be out of its
	// Write (which unlocks after the reader may have the record) first.
	defer func() { <-wrote }()
	got := 0
	for got < n {
		k, err := a.Read(buf)
		if err != nil {
			t.Fatal(err)
		}
		got += k
	}
	if k, err := a.Read(buf); err != nil || string(buf[:k]) != "more" {
		t.Fatalf("after the deadlines: %q %v", buf[:k], err)
	}
}
