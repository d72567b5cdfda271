package remote

import (
	"context"
	"errors"
	"fmt"
	"net"
	"sync"
	"testing"
	"time"
)

// scriptedServer authenticates one connection and answers each request
// with a Get reply whose value is "reply-N" (N counts requests from 1),
// after reply(N) says how: a pause before it, and whether to stall
// halfway through the frame for that long.
func scriptedServer(t *testing.T, reply func(n int) (pause time.Duration, split bool)) string {
	t.Helper()
	ln := listen(t)
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		if err := serverHandshake(conn, testKey, 10*time.Second); err != nil {
			return
		}
		for n := 1; ; n++ {
			if _, _, err := readFrame(conn, DefaultMaxFrame, nil); err != nil {
				return
			}
			msg := appendFrame(nil, statusOK, []byte(fmt.Sprint("reply-", n)))
			pause, split := reply(n)
			sent := 0
			if split {
				sent, _ = conn.Write(msg[:6]) // the length, the status and half the count
			}
			time.Sleep(pause)
			if _, err := conn.Write(msg[sent:]); err != nil {
				return
			}
		}
	}()
	return ln.Addr().String()
}

// TestClientDirectReadCancelled: a call reading its own reply (the
// one-at-a-time path) whose context ends before the reply, or in the
// middle of it, returns at once; the next call reads on from the same
// byte, drops the given-up reply and gets its own.
func TestClientDirectReadCancelled(t *testing.T) {
	for _, split := range []bool{false, true} {
		t.Run(fmt.Sprint("split=", split), func(t *testing.T) {
			ctx := testCtx(t)
			addr := scriptedServer(t, func(n int) (time.Duration, bool) {
				if n == 1 {
					return 300 * time.Millisecond, split
				}
				return 0, false
			})
			c, err := Dial(ctx, addr, testKey)
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			d := &Dict{c: c, name: []byte("d")}
			short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
			start := time.Now()
			_, _, err = d.Get(short, "k")
			cancel()
			if !errors.Is(err, context.DeadlineExceeded) || time.Since(start) > 250*time.Millisecond {
				t.Fatalf("Get whose reply is late: %v after %v, want context.DeadlineExceeded at once", err, time.Since(start))
			}
			for n := 2; n <= 4; n++ {
				v, ok, err := d.Get(ctx, "k")
				if want := fmt.Sprint("reply-", n); err != nil || !ok || string(v) != want {
					t.Fatalf("Get number %d: %q %v %v, want %q", n, v, ok, err, want)
				}
			}
		})
	}
}

// TestClientTurnHandedOn: calls queued behind a direct reader whose
// context ends get their replies (the reader goroutine takes over), and
// so do calls queued behind one that gets its reply.
func TestClientTurnHandedOn(t *testing.T) {
	ctx := testCtx(t)
	addr := scriptedServer(t, func(n int) (time.Duration, bool) {
		if n == 1 {
			return 200 * time.Millisecond, true
		}
		return time.Millisecond, false
	})
	c, err := Dial(ctx, addr, testKey)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	d := &Dict{c: c, name: []byte("d")}
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	first := make(chan error, 1)
	go func() {
		_, _, err := d.Get(short, "k")
		first <- err
	}()
	time.Sleep(10 * time.Millisecond) // the first call holds the turn
	var wg sync.WaitGroup
	got := make(chan string, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, _, err := d.Get(ctx, "k")
			if err != nil {
				t.Error(err)
			}
			got <- string(v)
		}()
	}
	wg.Wait()
	close(got)
	if err := <-first; !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("first call: %v, want context.DeadlineExceeded", err)
	}
	seen := map[string]bool{}
	for v := range got {
		seen[v] = true
	}
	for n := 2; n <= 9; n++ {
		if !seen[fmt.Sprint("reply-", n)] {
			t.Fatalf("replies %v: reply-%d missing", seen, n)
		}
	}
}

// TestClientIdleWatch: a connection the server closed for idling is
// noticed before a write goes out on it, so the write (which is not sent
// twice) succeeds on a new connection.
func TestClientIdleWatch(t *testing.T) {
	ctx := testCtx(t)
	_, addr := startServer(t, &Server{IdleTimeout: 100 * time.Millisecond})
	d := dialDict(t, addr)
	for i := range 4 {
		if err := d.Set(ctx, "k", []byte{byte(i)}); err != nil {
			t.Fatalf("Set number %d, after the server closed the idle connection: %v", i, err)
		}
		time.Sleep(300 * time.Millisecond) // the server hangs up meanwhile
	}
}

// TestRequestCtx: the lazy bound on a request behaves as
// context.WithTimeout would.
func TestRequestCtx(t *testing.T) {
	parent, stop := context.WithCancel(context.Background())
	defer stop()
	r := newRequestCtx(parent, 50*time.Millisecond)
	if err := r.Err(); err != nil {
		t.Fatalf("fresh: %v", err)
	}
	if d, ok := r.Deadline(); !ok || time.Until(d) > 50*time.Millisecond {
		t.Fatalf("deadline %v %v", d, ok)
	}
	if r.timed != nil {
		t.Fatal("Err and Deadline made the timer")
	}
	child, cancel := context.WithCancel(r)
	defer cancel()
	select {
	case <-child.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("a child of the request's context did not end at its deadline")
	}
	if !errors.Is(r.Err(), context.DeadlineExceeded) || !errors.Is(child.Err(), context.DeadlineExceeded) ||
		!errors.Is(context.Cause(r), context.DeadlineExceeded) {
		t.Fatalf("after the deadline: %v, child %v, cause %v", r.Err(), child.Err(), context.Cause(r))
	}
	r.release()

	// Past its deadline, never waited on: Err says so, and Done agrees.
	r = newRequestCtx(parent, time.Millisecond)
	time.Sleep(5 * time.Millisecond)
	if !errors.Is(r.Err(), context.DeadlineExceeded) {
		t.Fatalf("past the deadline: %v", r.Err())
	}
	select {
	case <-r.Done():
	default:
		t.Fatal("Err is set but Done is open")
	}
	r.release()

	// The connection's context ends: so does the request's.
	r = newRequestCtx(parent, time.Hour)
	defer r.release()
	done := r.Done()
	stop()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("the request's context outlived the connection's")
	}
	if !errors.Is(r.Err(), context.Canceled) {
		t.Fatalf("after the connection's end: %v", r.Err())
	}
}

// TestIdleDeadlineLazy: the connection's deadline moves only when it has
// fallen under the idle timeout ahead.
func TestIdleDeadlineLazy(t *testing.T) {
	a, b := net.Pipe()
	defer a.Close()
	defer b.Close()
	d := idleDeadline{c: a, idle: time.Hour}
	d.extend()
	first := d.until
	for range 100 {
		d.extend()
	}
	if d.until != first {
		t.Fatalf("deadline moved from %v to %v within the slack", first, d.until)
	}
	if ahead := time.Until(first); ahead < time.Hour || ahead > time.Hour+time.Hour/8 {
		t.Fatalf("deadline %v ahead, want between the idle timeout and an eighth more", ahead)
	}
	d.forget()
	d.extend()
	if !d.until.After(first) {
		t.Fatal("forget did not make the next extend set the deadline")
	}
}
