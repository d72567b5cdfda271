package ring_test

import (
	"context"
	"errors"
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
)

// Ports of CPython's TestWait (multiprocessing.connection.wait), across
// real processes.

type waitArg struct {
	C    *ring.Conn
	Slow bool
	Hold time.Duration
}

var (
	// childTestWait is _child_test_wait: ten (i, pid) messages, slowly or
	// not, then close.
	childTestWait = process.Register("ring.childtestwait", func(ctx context.Context, a waitArg) (struct{}, error) {
		defer a.C.Close()
		for i := range 10 {
			if a.Slow {
				time.Sleep(time.Duration(rand.IntN(100)) * time.Millisecond)
			}
			if err := a.C.Send(ctx, [2]int{i, os.Getpid()}); err != nil {
				return struct{}{}, err
			}
		}
		return struct{}{}, nil
	})
	// holdEndTask holds the end it was given, raises the flag and waits
	// to be killed.
	holdEndTask = process.Register("ring.holdend", func(ctx context.Context, a shareArg) (struct{}, error) {
		flagWord(a.Flag).Store(1)
		select {}
	})
	// sleepTask is signal_and_sleep without the semaphore: it sleeps Hold.
	sleepTask = process.Register("ring.sleep", func(ctx context.Context, a waitArg) (struct{}, error) {
		time.Sleep(a.Hold)
		return struct{}{}, nil
	})
)

func TestWait(t *testing.T)     { testWait(t, false) }
func TestWaitSlow(t *testing.T) { testWait(t, true) }

// testWait is test_wait: four children each send ten messages down a pipe
// of their own and close it; the parent waits on the four read ends,
// receives from the ready ones, and drops each at EOF.
func testWait(t *testing.T, slow bool) {
	ctx := testutil.Context(t)
	seg := segtest.NewSize(t, 1<<20)
	var readers []any
	var procs []*process.Process
	for i := range 4 {
		r, w, err := ring.NewPipe(seg, "p"+string(rune('0'+i)), false, &ring.Options{Capacity: 4096})
		if err != nil {
			t.Fatal(err)
		}
		procs = append(procs, proctest.Start(t, ctx, childTestWait, waitArg{C: w, Slow: slow}))
		w.Close()
		readers = append(readers, r)
	}
	var got [][2]int
	for len(readers) > 0 {
		ready, err := ring.Wait(ctx, readers...)
		if err != nil {
			t.Fatal(err)
		}
		for _, o := range ready {
			r := o.(*ring.Conn)
			var m [2]int
			switch err := r.Recv(ctx, &m); err {
			case nil:
				got = append(got, m)
			case io.EOF:
				readers = slices.DeleteFunc(readers, func(x any) bool { return x == o })
				r.Close()
			default:
				t.Fatal(err)
			}
		}
	}
	var want [][2]int
	for _, p := range procs {
		for i := range 10 {
			want = append(want, [2]int{i, p.Pid()})
		}
	}
	less := func(a, b [2]int) int {
		if a[1] != b[1] {
			return a[1] - b[1]
		}
		return a[0] - b[0]
	}
	slices.SortFunc(got, less)
	slices.SortFunc(want, less)
	if !slices.Equal(got, want) {
		t.Fatalf("got %v\nwant %v", got, want)
	}
}

// TestWaitTimeout is test_wait_timeout and test_neg_timeout: nothing
// ready, Wait returns ctx's error when it ends (at once when it has);
// then one end is ready and it alone is returned.
func TestWaitTimeout(t *testing.T) {
	ctx := testutil.Context(t)
	a, b, err := ring.NewPipe(segtest.NewSize(t, 1<<20), "p", true, &ring.Options{Capacity: 4096})
	if err != nil {
		t.Fatal(err)
	}
	short, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	if res, err := ring.Wait(short, a, b); res != nil || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("wait on two idle ends: %v %v", res, err)
	}
	if el := time.Since(start); el < 190*time.Millisecond {
		t.Fatalf("returned after %v", el)
	}
	done, cancel2 := context.WithCancel(ctx)
	cancel2()
	start = time.Now()
	if res, err := ring.Wait(done, a); res != nil || !errors.Is(err, context.Canceled) || time.Since(start) > time.Second {
		t.Fatalf("wait with a done ctx: %v %v", res, err)
	}
	b.Send(ctx, nil)
	if res, err := ring.Wait(ctx, a, b); err != nil || len(res) != 1 || res[0] != a {
		t.Fatalf("wait after b sent: %v %v", res, err)
	}
	if _, err := ring.Wait(ctx, a, 42); !errors.Is(err, os.ErrInvalid) {
		t.Fatalf("wait on an int: %v", err)
	}
}

// TestWaitProcess is test_wait_integer: a process's Done channel (its
// sentinel) among conns: first it alone is ready (the child exited), then
// with one end, then with both, each in the order given.
func TestWaitProcess(t *testing.T) {
	ctx := testutil.Context(t)
	a, b, err := ring.NewPipe(segtest.NewSize(t, 1<<20), "p", true, &ring.Options{Capacity: 4096})
	if err != nil {
		t.Fatal(err)
	}
	const expected = 300 * time.Millisecond
	p := proctest.Start(t, ctx, sleepTask, waitArg{Hold: expected})
	start := time.Now()
	res, err := ring.Wait(ctx, a, p, b)
	if el := time.Since(start); err != nil || len(res) != 1 || res[0] != p || el < expected/2 || el > expected+2*time.Second {
		t.Fatalf("wait for the child's exit: %v %v after %v", res, err, el)
	}
	a.Send(ctx, nil)
	if res, err := ring.Wait(ctx, a, p, b); err != nil || len(res) != 2 || res[0] != p || res[1] != b {
		t.Fatalf("after a sent: %v %v", res, err)
	}
	b.Send(ctx, nil)
	if res, err := ring.Wait(ctx, a, p, b); err != nil || len(res) != 3 {
		t.Fatalf("after b sent: %v %v", res, err)
	}
}

// TestWaitWriterKilled: a writer SIGKILLed while the reader waits on its
// end (and on another, idle one) makes that end ready within a peer slice:
// Recv then reports ErrPeerDead.
func TestWaitWriterKilled(t *testing.T) {
	ctx := testutil.Context(t)
	seg := segtest.NewSize(t, 1<<20)
	r, w, _ := ring.NewPipe(seg, "p", false, &ring.Options{Capacity: 4096})
	idle, idleW, _ := ring.NewPipe(seg, "idle", false, &ring.Options{Capacity: 4096})
	defer idleW.Close()
	flag, _ := seg.Alloc("flag", 8, 8)
	// A child that holds the write end and hangs without closing it.
	q := proctest.Start(t, ctx, holdEndTask, shareArg{C: w, Flag: flag.Handle()})
	w.Close()
	waitFlag(t, ctx, flag.Handle())
	errc := make(chan error, 1)
	go func() {
		res, err := ring.Wait(ctx, idle, r)
		if err == nil && (len(res) != 1 || res[0] != r) {
			err = errors.New("wrong objects ready")
		}
		errc <- err
	}()
	time.Sleep(100 * time.Millisecond)
	select {
	case err := <-errc:
		t.Fatalf("wait returned while the writer lives: %v", err)
	default:
	}
	killed := time.Now()
	q.Kill()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	if el := time.Since(killed); el > reportBound {
		t.Fatalf("ready %v after the kill", el)
	}
	if _, err := r.RecvBytes(ctx); !errors.Is(err, ring.ErrPeerDead) {
		t.Fatalf("recv: %v", err)
	}
}
