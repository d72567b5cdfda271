package ring_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"io"
	"os"
	"testing"
	"time"

	"github.com/shmkit/shmkit/internal/testutil"
	"github.com/shmkit/shmkit/internal/testutil/proctest"
	"github.com/shmkit/shmkit/internal/testutil/segtest"
	"github.com/shmkit/shmkit/process"
	"github.com/shmkit/shmkit/ring"
)

// Ports of CPython's _TestConnection and _TestPoll, across real processes.

var (
	// echoBytesTask is CPython's _echo: it sends back every message
	// until an empty one, then closes its end.
	echoBytesTask = process.Register("ring.echobytes", func(ctx context.Context, c *ring.Conn) (struct{}, error) {
		defer c.Close()
		for {
			m, err := c.RecvBytes(ctx)
			if err != nil || len(m) == 0 {
				return struct{}{}, err
			}
			if err := c.SendBytes(ctx, m); err != nil {
				return struct{}{}, err
			}
		}
	})
	// sendStringsTask is _child_strings, without the sleeps, then _child_dont_merge.
	sendStringsTask = process.Register("ring.sendstrings", func(ctx context.Context, a shareArg) (struct{}, error) {
		defer a.C.Close()
		for _, s := range []string{"hello", "", "a", "b", "", "bye", "", "lop"} {
			if err := a.C.SendBytes(ctx, []byte(s)); err != nil {
				return struct{}{}, err
			}
		}
		return struct{}{}, nil
	})
	// pollTask is _child_boundaries: it polls (which must take nothing)
	// and returns.
	pollTask = process.Register("ring.poll", func(ctx context.Context, c *ring.Conn) (bool, error) {
		short, cancel := context.WithTimeout(ctx, 2*time.Second)
		defer cancel()
		return c.Poll(short), nil
	})
)

func ints(v ...int32) []byte {
	var b []byte
	for _, x := range v {
		b = binary.LittleEndian.AppendUint32(b, uint32(x))
	}
	return b
}

// TestConnCPython is test_connection: an echo child; send and recv of
// values and bytes; recv_bytes_into at the start and at an offset of a
// buffer, and into one too short (BufferTooShort carrying the message);
// poll with and without a timeout; a message of nearly the ring's size;
// then the child's close is the parent's EOF, once the parent closed its
// copy of the child's end.
func TestConnCPython(t *testing.T) {
	ctx := testutil.Context(t)
	seg := segtest.NewSize(t, 4<<20)
	conn, child, err := ring.NewPipe(seg, "p", true, &ring.Options{Capacity: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	p := proctest.Start(t, ctx, echoBytesTask, child)
	msg := []byte("hello world")
	if err := conn.SendBytes(ctx, msg); err != nil {
		t.Fatal(err)
	}
	if got, err := conn.RecvBytes(ctx); err != nil || !bytes.Equal(got, msg) {
		t.Fatalf("%q %v", got, err)
	}
	arr := ints(0, 1, 2, 3)
	buf := make([]byte, 40)
	conn.SendBytes(ctx, arr)
	if n, err := conn.RecvBytesInto(ctx, buf); err != nil || n != len(arr) || !bytes.Equal(buf, append(ints(0, 1, 2, 3), make([]byte, 24)...)) {
		t.Fatalf("recv_bytes_into: %d %v %v", n, err, buf)
	}
	buf = make([]byte, 40)
	conn.SendBytes(ctx, arr)
	if n, err := conn.RecvBytesInto(ctx, buf[12:]); err != nil || n != len(arr) || !bytes.Equal(buf, append(append(make([]byte, 12), arr...), make([]byte, 12)...)) {
		t.Fatalf("recv_bytes_into at offset 12: %d %v %v", n, err, buf)
	}
	longmsg := bytes.Repeat(msg, 10)
	conn.SendBytes(ctx, longmsg)
	_, err = conn.RecvBytesInto(ctx, make([]byte, 40))
	var short *ring.BufferTooShortError
	if !errors.As(err, &short) || !bytes.Equal(short.Message, longmsg) || !errors.Is(err, io.ErrShortBuffer) {
		t.Fatalf("recv_bytes_into a short buffer: %v", err)
	}
	done, cancel := context.WithCancel(ctx)
	cancel()
	if conn.Poll(done) {
		t.Fatal("poll() on an empty pipe")
	}
	start := time.Now()
	wait, cancel2 := context.WithTimeout(ctx, 100*time.Millisecond)
	if conn.Poll(wait) {
		t.Fatal("poll(TIMEOUT1) on an empty pipe")
	}
	cancel2()
	if el := time.Since(start); el < 90*time.Millisecond {
		t.Fatalf("poll(0.1) returned after %v", el)
	}
	conn.Send(ctx, []int{7})
	time.Sleep(50 * time.Millisecond)
	if !conn.Poll(done) {
		t.Fatal("poll() after the echo")
	}
	var v []int
	if err := conn.Recv(ctx, &v); err != nil || len(v) != 1 || v[0] != 7 {
		t.Fatalf("%v %v", v, err)
	}
	big := bytes.Repeat([]byte("X"), conn.MaxMessage())
	if err := conn.SendBytes(ctx, big); err != nil {
		t.Fatal(err)
	}
	if m, err := conn.RecvBytes(ctx); err != nil || !bytes.Equal(m, big) {
		t.Fatalf("a message of %d bytes: %d %v", len(big), len(m), err)
	}
	conn.SendBytes(ctx, nil) // tell the child to quit
	child.Close()
	if err := conn.Recv(ctx, &v); err != io.EOF {
		t.Fatalf("recv after the child closed: %v", err)
	}
	if _, err := conn.RecvBytes(ctx); err != io.EOF {
		t.Fatalf("recv_bytes after the child closed: %v", err)
	}
	if err := p.Join(ctx); err != nil {
		t.Fatal(err)
	}
}

// TestConnDuplexFalse is test_duplex_false: a simplex pipe's reader cannot
// send, its writer cannot receive nor poll.
func TestConnDuplexFalse(t *testing.T) {
	ctx := testutil.Context(t)
	reader, writer, err := ring.NewPipe(segtest.NewSize(t, 1<<20), "p", false, &ring.Options{Capacity: 4096})
	if err != nil {
		t.Fatal(err)
	}
	if err := writer.Send(ctx, 1); err != nil {
		t.Fatal(err)
	}
	var v int
	if err := reader.Recv(ctx, &v); err != nil || v != 1 {
		t.Fatal(v, err)
	}
	// send(None): nil goes as an empty message, and comes back nil.
	if err := writer.Send(ctx, nil); err != nil {
		t.Fatal(err)
	}
	x := any(5)
	if err := reader.Recv(ctx, &x); err != nil || x != nil {
		t.Fatalf("recv of send(nil): %v %v", x, err)
	}
	if err := reader.Send(ctx, 2); !errors.Is(err, os.ErrInvalid) {
		t.Fatalf("send on the reader: %v", err)
	}
	if err := writer.Recv(ctx, &v); !errors.Is(err, os.ErrInvalid) {
		t.Fatalf("recv on the writer: %v", err)
	}
	if writer.Poll(ctx) {
		t.Fatal("poll on the writer")
	}
}

// TestConnPoll is _TestPoll: an empty message makes poll true and stays
// until received; messages are never merged, nor split; and a child that
// polls a read end takes nothing from it (test_boundaries).
func TestConnPoll(t *testing.T) {
	ctx := testutil.Context(t)
	seg := segtest.NewSize(t, 1<<20)
	a, b, err := ring.NewPipe(seg, "p", true, &ring.Options{Capacity: 4096})
	if err != nil {
		t.Fatal(err)
	}
	done, cancel := context.WithCancel(ctx)
	cancel()
	if a.Poll(done) {
		t.Fatal("poll on an empty pipe")
	}
	b.SendBytes(ctx, nil)
	if !a.Poll(done) || !a.Poll(done) {
		t.Fatal("poll after an empty message")
	}
	if m, err := a.RecvBytes(ctx); err != nil || len(m) != 0 {
		t.Fatal(m, err)
	}
	// test_strings and test_dont_merge: from a child.
	r, w, _ := ring.NewPipe(seg, "strings", false, &ring.Options{Capacity: 4096})
	p := proctest.Start(t, ctx, sendStringsTask, shareArg{C: w})
	w.Close()
	for _, s := range []string{"hello", "", "a", "b", "", "bye", "", "lop"} {
		if !r.Poll(ctx) {
			t.Fatal("poll with a message on its way")
		}
		if m, err := r.RecvBytes(ctx); err != nil || string(m) != s {
			t.Fatalf("%q %v, want %q", m, err, s)
		}
	}
	if _, err := r.RecvBytes(ctx); err != io.EOF {
		t.Fatal(err)
	}
	p.Join(ctx)
	// test_boundaries: a child polls the read end while the parent sends.
	r2, w2, _ := ring.NewPipe(seg, "boundaries", false, &ring.Options{Capacity: 4096})
	pp := proctest.Start(t, ctx, pollTask, r2)
	time.Sleep(50 * time.Millisecond)
	w2.SendBytes(ctx, []byte("first"))
	w2.SendBytes(ctx, []byte("second"))
	w2.Close()
	if got, err := process.Wait[bool](ctx, pp); err != nil || !got {
		t.Fatalf("the child's poll: %v %v", got, err)
	}
	if m, err := r2.RecvBytes(ctx); err != nil || string(m) != "first" {
		t.Fatalf("%q %v", m, err)
	}
	if m, err := r2.RecvBytes(ctx); err != nil || string(m) != "second" {
		t.Fatalf("%q %v", m, err)
	}
}
