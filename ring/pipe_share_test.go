package ring_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"testing"
	"time"

	"github.com/shmkit/shmkit/internal/testutil"
	"github.com/shmkit/shmkit/internal/testutil/proctest"
	"github.com/shmkit/shmkit/internal/testutil/segtest"
	"github.com/shmkit/shmkit/process"
	"github.com/shmkit/shmkit/ring"
	"github.com/shmkit/shmkit/shm"
	"github.com/shmkit/shmkit/sync"
)

// Several processes on one pipe end, and Close per process: CPython's
// semantics (its _TestBarrier.test_thousand sends on one write end from
// five processes; _TestConnection.test_spawn_close closes the parent's
// copy of the child's end at once), across real processes, with kill -9
// where a death matters.

type shareArg struct {
	C      *ring.Conn
	B      *sync.Barrier
	M      *sync.Mutex // nil: no lock of the user's
	Passes int
	Seen   shm.Handle
	N      int
	Flag   shm.Handle
	Tag    byte
	Bytes  []byte // a marshaled Conn
}

var (
	// thousandTask is CPython's _test_thousand_f: after every pass of the
	// barrier, send the pass number (under the user's lock, if any).
	thousandTask = process.Register("ring.thousand", func(ctx context.Context, a shareArg) (struct{}, error) {
		defer a.C.Close()
		for i := range a.Passes {
			if _, err := a.B.Wait(ctx); err != nil {
				return struct{}{}, err
			}
			if a.M != nil {
				if err := a.M.Lock(ctx); err != nil {
					return struct{}{}, err
				}
			}
			err := a.C.Send(ctx, i)
			if a.M != nil {
				a.M.Unlock()
			}
			if err != nil {
				return struct{}{}, err
			}
		}
		return struct{}{}, nil
	})

	// sharedReadTask receives until EOF on a read end other processes
	// read too, marking each message's sequence number in a shared bitmap.
	sharedReadTask = process.Register("ring.sharedread", func(ctx context.Context, a shareArg) (int, error) {
		o, err := shm.Attach(a.Seen, shm.KindBytes, 0)
		if err != nil {
			return 0, err
		}
		seen := bitmap(o.Bytes())
		n := 0
		for {
			m, err := a.C.RecvBytes(ctx)
			if err == io.EOF {
				return n, nil
			}
			if err != nil {
				return n, err
			}
			_, seq, ok := checkMsg(m)
			if !ok || seq >= uint64(a.N) {
				return n, fmt.Errorf("torn message of %d bytes", len(m))
			}
			if !seen.mark(int(seq)) {
				return n, fmt.Errorf("message %d: %w", seq, errDup)
			}
			n++
		}
	})

	// tagSendTask sends N messages "<tag><i>" and closes its end; with a
	// Flag it raises it and hangs in the middle of message N, holding the
	// end's send lock, with the record filled and not committed.
	tagSendTask = process.Register("ring.tagsend", func(ctx context.Context, a shareArg) (struct{}, error) {
		for i := range a.N {
			if err := a.C.SendBytes(ctx, tagMsg(a.Tag, i)); err != nil {
				return struct{}{}, err
			}
		}
		if a.Flag != (shm.Handle{}) {
			flag := flagWord(a.Flag)
			ring.SetConnSendHook(func() { flag.Store(1); select {} })
			a.C.SendBytes(ctx, tagMsg(a.Tag, a.N))
		}
		return struct{}{}, a.C.Close()
	})

	// closeAndHangTask closes its end, raises the flag and waits to be
	// killed.
	closeAndHangTask = process.Register("ring.closeandhang", func(ctx context.Context, a shareArg) (struct{}, error) {
		a.C.Close()
		flagWord(a.Flag).Store(1)
		select {}
	})

	// attachBytesTask attaches a marshaled Conn, sends "hi" and closes it.
	attachBytesTask = process.Register("ring.attachbytes", func(ctx context.Context, a shareArg) (struct{}, error) {
		var c ring.Conn
		if err := c.UnmarshalBinary(a.Bytes); err != nil {
			return struct{}{}, err
		}
		defer c.Close()
		return struct{}{}, c.SendBytes(ctx, []byte("hi"))
	})

	// remarshalTask marshals the end it was given (a handle no one will
	// attach), closes its own handle and exits.
	remarshalTask = process.Register("ring.remarshal", func(ctx context.Context, a shareArg) (int, error) {
		b, err := a.C.MarshalBinary()
		a.C.Close()
		return len(b), err
	})
)

func tagMsg(tag byte, i int) []byte { return binary.LittleEndian.AppendUint32([]byte{tag}, uint32(i)) }

// TestPipeSharedWriters is CPython's test_thousand: five processes send on
// one write end after every pass of a barrier, serialized by a shared
// mutex; the reader gets every pass's five messages before the next pass's,
// 5000 in all, then io.EOF once they closed their ends. Without the mutex
// (sends that race) the same holds: the end's sends take turns.
func TestPipeSharedWriters(t *testing.T) {
	for _, locked := range []bool{true, false} {
		t.Run(map[bool]string{true: "mutex", false: "racing"}[locked], func(t *testing.T) {
			ctx := testutil.Context(t)
			const parties = 5
			passes := messages(1000)
			seg := segtest.NewSize(t, 4<<20)
			r, w, err := ring.NewPipe(seg, "p", false, &ring.Options{Capacity: 4096})
			if err != nil {
				t.Fatal(err)
			}
			b, _ := sync.NewBarrier(seg, "b", parties)
			var m *sync.Mutex
			if locked {
				m, _ = sync.NewMutex(seg, "m")
			}
			var procs []*process.Process
			for range parties {
				procs = append(procs, proctest.Start(t, ctx, thousandTask, shareArg{C: w, B: b, M: m, Passes: passes}))
			}
			w.Close() // the children hold it
			for i := range passes {
				for j := range parties {
					var v int
					if err := r.Recv(ctx, &v); err != nil || v != i {
						t.Fatalf("pass %d, message %d: %d %v", i, j, v, err)
					}
				}
			}
			var v int
			if err := r.Recv(ctx, &v); err != io.EOF {
				t.Fatalf("after %d messages: %v %v, want io.EOF", passes*parties, v, err)
			}
			for _, p := range procs {
				if err := p.Join(ctx); err != nil {
					t.Fatal(err)
				}
			}
		})
	}
}

// TestPipeSharedReaders: three processes receive from one read end while
// the parent sends: every message reaches exactly one of them, whole, and
// each gets io.EOF once the parent closed the write end.
func TestPipeSharedReaders(t *testing.T) {
	ctx := testutil.Context(t)
	const readers = 3
	n := messages(20000)
	seg := segtest.NewSize(t, 1<<20+bitmapBytes(1, n))
	r, w, err := ring.NewPipe(seg, "p", false, &ring.Options{Capacity: 8192})
	if err != nil {
		t.Fatal(err)
	}
	o, _ := seg.Alloc("seen", bitmapBytes(1, n), 8)
	errs := make(chan error, readers)
	counts := make(chan int, readers)
	for range readers {
		p := proctest.Start(t, ctx, sharedReadTask, shareArg{C: r, Seen: o.Handle(), N: n})
		go func() {
			c, err := process.Wait[int](ctx, p)
			counts <- c
			errs <- err
		}()
	}
	r.Close()
	buf := make([]byte, 200)
	rng := rand.New(rand.NewPCG(5, 5))
	for i := range n {
		m := buf[:msgHdr+rng.IntN(150)]
		mkMsg(m, 0, uint64(i), rng)
		if err := w.SendBytes(ctx, m); err != nil {
			t.Fatal(err)
		}
	}
	w.Close()
	total := 0
	for range readers {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
		total += <-counts
	}
	seen := bitmap(o.Bytes())
	for i := range n {
		if !seen.has(i) {
			t.Fatalf("message %d never received", i)
		}
	}
	if total != n {
		t.Fatalf("received %d, sent %d", total, n)
	}
}

// readTags receives n messages with tag, in order, failing the test
// otherwise.
func readTags(t *testing.T, ctx context.Context, c *ring.Conn, tag byte, n int) {
	t.Helper()
	for i := range n {
		m, err := c.RecvBytes(ctx)
		if err != nil || string(m) != string(tagMsg(tag, i)) {
			t.Fatalf("message %c%d: %q %v", tag, i, m, err)
		}
	}
}

// TestPipeSenderKilledHoldingEnd: a sender SIGKILLed in the middle of a
// send, holding the end's send lock with a record filled and not
// committed: another sender on the same end takes the lock over (within a
// lock's sleep slice) and goes on after the last committed message; the
// reader sees neither a torn message nor a gap, and, once the survivor
// closed, ErrPeerDead (a holder died) rather than io.EOF, until it forgets
// the dead one.
func TestPipeSenderKilledHoldingEnd(t *testing.T) {
	ctx := testutil.Context(t)
	seg := segtest.NewSize(t, 1<<20)
	r, w, err := ring.NewPipe(seg, "p", false, &ring.Options{Capacity: 4096})
	if err != nil {
		t.Fatal(err)
	}
	flag, _ := seg.Alloc("flag", 8, 8)
	a := proctest.Start(t, ctx, tagSendTask, shareArg{C: w, Tag: 'A', N: 50, Flag: flag.Handle()})
	waitFlag(t, ctx, flag.Handle())
	b := proctest.Start(t, ctx, tagSendTask, shareArg{C: w, Tag: 'B', N: 50})
	w.Close()
	readTags(t, ctx, r, 'A', 50)
	short, cancel := context.WithTimeout(ctx, 100*time.Millisecond)
	_, err = r.RecvBytes(short)
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("a live sender holds the lock: %v", err)
	}
	killed := time.Now()
	a.Kill()
	a.Join(ctx)
	readTags(t, ctx, r, 'B', 50)
	if el := time.Since(killed); el > reportBound {
		t.Fatalf("the second sender went on %v after the first one's death", el)
	}
	if err := b.Join(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := r.RecvBytes(ctx); !errors.Is(err, ring.ErrPeerDead) {
		t.Fatalf("after the survivor closed: %v, want ErrPeerDead", err)
	}
	r.ForgetDeadPeers()
	if _, err := r.RecvBytes(ctx); err != io.EOF {
		t.Fatalf("after ForgetDeadPeers: %v, want io.EOF", err)
	}
}

// TestPipeClosedThenKilled: a process that closed its end and is then
// SIGKILLed ends nothing: the reader gets io.EOF (every holder closed),
// not ErrPeerDead.
func TestPipeClosedThenKilled(t *testing.T) {
	ctx := testutil.Context(t)
	seg := segtest.NewSize(t, 1<<20)
	r, w, err := ring.NewPipe(seg, "p", true, &ring.Options{Capacity: 4096})
	if err != nil {
		t.Fatal(err)
	}
	flag, _ := seg.Alloc("flag", 8, 8)
	p := proctest.Start(t, ctx, closeAndHangTask, shareArg{C: w, Flag: flag.Handle()})
	waitFlag(t, ctx, flag.Handle())
	w.SendBytes(ctx, []byte("last"))
	w.Close()
	p.Kill()
	p.Join(ctx)
	if m, err := r.RecvBytes(ctx); err != nil || string(m) != "last" {
		t.Fatalf("%q %v", m, err)
	}
	if _, err := r.RecvBytes(ctx); err != io.EOF {
		t.Fatalf("after every holder closed (one killed later): %v, want io.EOF", err)
	}
	if err := r.SendBytes(ctx, []byte("x")); !errors.Is(err, os.ErrClosed) {
		t.Fatalf("send to an end every process closed: %v", err)
	}
}

// TestPipeSpawnClose is CPython's test_spawn_close: the parent closes its
// copy of the child's end right after starting it, perhaps before the
// child attached it; the pipe works both ways, and the child's Close ends
// it for the parent.
func TestPipeSpawnClose(t *testing.T) {
	ctx := testutil.Context(t)
	for range 3 {
		seg := segtest.NewSize(t, 1<<20)
		conn, child, err := ring.NewPipe(seg, "p", true, &ring.Options{Capacity: 4096})
		if err != nil {
			t.Fatal(err)
		}
		p := proctest.Start(t, ctx, echoTask, child)
		child.Close() // this might complete before the child initializes
		if err := conn.Send(ctx, []int{21}); err != nil {
			t.Fatal(err)
		}
		var v []int
		if err := conn.Recv(ctx, &v); err != nil || len(v) != 1 || v[0] != 42 {
			t.Fatal(v, err)
		}
		conn.Close() // the echo child sees io.EOF and returns
		if err := p.Join(ctx); err != nil {
			t.Fatal(err)
		}
	}
}

// TestPipeMarshaledHandleHolds: an encoded end holds the end until a
// process attaches it, even after every handle was closed; it lapses when
// no process attached it in time, or when the process that made it died.
func TestPipeMarshaledHandleHolds(t *testing.T) {
	ctx := testutil.Context(t)
	seg := segtest.NewSize(t, 1<<20)
	r, w, err := ring.NewPipe(seg, "held", false, &ring.Options{Capacity: 4096})
	if err != nil {
		t.Fatal(err)
	}
	b, err := w.MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	w.Close()
	short, cancel := context.WithTimeout(ctx, 150*time.Millisecond)
	_, err = r.RecvBytes(short)
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("recv while an encoded write end waits for its process: %v", err)
	}
	if _, err := process.Run(ctx, attachBytesTask, shareArg{Bytes: b}); err != nil {
		t.Fatal(err)
	}
	if m, err := r.RecvBytes(ctx); err != nil || string(m) != "hi" {
		t.Fatalf("%q %v", m, err)
	}
	if _, err := r.RecvBytes(ctx); err != io.EOF {
		t.Fatalf("after the child closed: %v", err)
	}

	// Never attached: the encoding lapses.
	restore := ring.SetPendingTTL(100 * time.Millisecond)
	r2, w2, _ := ring.NewPipe(seg, "lapses", false, &ring.Options{Capacity: 4096})
	if _, err := w2.MarshalBinary(); err != nil {
		t.Fatal(err)
	}
	restore()
	w2.Close()
	start := time.Now()
	if _, err := r2.RecvBytes(ctx); err != io.EOF {
		t.Fatalf("after an encoding that no one attached lapsed: %v", err)
	}
	if el := time.Since(start); el < 50*time.Millisecond || el > reportBound {
		t.Fatalf("io.EOF %v after the close, the encoding lasts 100 ms", el)
	}

	// Made by a process that died: it lapses with it, and counts no death.
	r3, w3, _ := ring.NewPipe(seg, "orphan", false, &ring.Options{Capacity: 4096})
	p := proctest.Start(t, ctx, remarshalTask, shareArg{C: w3})
	w3.Close()
	if err := p.Join(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := r3.RecvBytes(ctx); err != io.EOF {
		t.Fatalf("after the process that encoded the end exited: %v", err)
	}
}

// TestConnClosePerHandle: Close lets go of one handle; other handles of
// the same end, in this process or others, go on, and the end closes with
// the last of them.
func TestConnClosePerHandle(t *testing.T) {
	ctx := testutil.Context(t)
	seg := segtest.NewSize(t, 1<<20)
	r, w, err := ring.NewPipe(seg, "p", false, &ring.Options{Capacity: 4096})
	if err != nil {
		t.Fatal(err)
	}
	r2, w2, err := ring.OpenPipe(seg, "p") // a second handle on each end
	if err != nil {
		t.Fatal(err)
	}
	r2.Close()
	w.Close()
	w.Close() // idempotent
	if err := w.SendBytes(ctx, []byte("x")); !errors.Is(err, os.ErrClosed) || err.Error() != `pipe "p" end 1: handle closed` {
		t.Fatalf("send on a closed handle: %v", err)
	}
	if err := w2.SendBytes(ctx, []byte("still")); err != nil {
		t.Fatalf("send on the end's other handle: %v", err)
	}
	if m, err := r.RecvBytes(ctx); err != nil || string(m) != "still" {
		t.Fatalf("%q %v", m, err)
	}
	w2.Close()
	if _, err := r.RecvBytes(ctx); err != io.EOF {
		t.Fatalf("after the last handle of the write end closed: %v", err)
	}
}

// TestConnShutdown: Shutdown ends the pipe for every process: a child
// waiting in Recv gets io.EOF, sends fail with ErrShutdown.
func TestConnShutdown(t *testing.T) {
	ctx := testutil.Context(t)
	seg := segtest.NewSize(t, 1<<20)
	here, there, err := ring.NewPipe(seg, "p", true, &ring.Options{Capacity: 4096})
	if err != nil {
		t.Fatal(err)
	}
	p := proctest.Start(t, ctx, echoTask, there)
	var v []int
	here.Send(ctx, []int{1})
	if err := here.Recv(ctx, &v); err != nil {
		t.Fatal(err)
	}
	here.Shutdown() // the child waits in Recv, and the parent holds both ends
	if err := p.Join(ctx); err != nil {
		t.Fatalf("the echo child after Shutdown: %v", err)
	}
	if err := here.Send(ctx, 1); !errors.Is(err, ring.ErrShutdown) || !errors.Is(err, os.ErrClosed) {
		t.Fatalf("send after Shutdown: %v", err)
	}
}
