package ring_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/shmkit/shmkit/internal/testutil"
	"github.com/shmkit/shmkit/internal/testutil/proctest"
	"github.com/shmkit/shmkit/process"
	"github.com/shmkit/shmkit/ring"
	"github.com/shmkit/shmkit/shm"
)

// Ports of CPython's _TestListener and _TestListenerClient: the client is
// an unrelated process in spirit (it gets only the segment's name and the
// listener's, and opens both itself), with kill -9 of either side.

type clientArg struct {
	Seg, Name string
	Msg       string
	Hang      bool // after sending, raise the flag and wait to be killed
	Flag      shm.Handle
}

var (
	// clientTask is CPython's _test: Client(address), send, close.
	clientTask = process.Register("ring.client", func(ctx context.Context, a clientArg) (string, error) {
		seg, err := shm.Open(a.Seg)
		if err != nil {
			return "", err
		}
		defer seg.Close()
		c, err := ring.Dial(ctx, seg, a.Name)
		if err != nil {
			return "dial: " + err.Error(), nil
		}
		defer c.Close()
		if err := c.Send(ctx, a.Msg); err != nil {
			return "", err
		}
		if a.Hang {
			flagWord(a.Flag).Store(1)
			select {}
		}
		return "sent", nil
	})
	// listenTask listens under the name; with Hang it raises the flag and
	// waits to be killed, else it reports how Listen went.
	listenTask = process.Register("ring.listen", func(ctx context.Context, a clientArg) (string, error) {
		seg, err := shm.Open(a.Seg)
		if err != nil {
			return "", err
		}
		defer seg.Close()
		l, err := ring.Listen(seg, a.Name, nil)
		if err != nil {
			return "listen: " + err.Error(), nil
		}
		if a.Hang {
			flagWord(a.Flag).Store(1)
			select {}
		}
		return "listening", l.Close()
	})
)

// namedSeg creates a named segment for the test, closed and removed at
// cleanup.
func namedSeg(t *testing.T) *shm.Segment {
	t.Helper()
	name := fmt.Sprintf("ringtest-%d-%s", os.Getpid(), strings.ReplaceAll(t.Name(), "/", "-"))
	seg, err := shm.Create(name, 4<<20, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { seg.Unlink(); seg.Close() })
	return seg
}

// TestListenerClient is test_listener_client and test_context: a child
// dials by name and sends; the parent accepts and receives, then io.EOF
// once the child closed; after Close, Accept and Dial fail.
func TestListenerClient(t *testing.T) {
	ctx := testutil.Context(t)
	seg := namedSeg(t)
	l, err := ring.Listen(seg, "svc", nil)
	if err != nil {
		t.Fatal(err)
	}
	p := proctest.Start(t, ctx, clientTask, clientArg{Seg: seg.Name(), Name: "svc", Msg: "hello"})
	conn, err := l.Accept(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var s string
	if err := conn.Recv(ctx, &s); err != nil || s != "hello" {
		t.Fatalf("%q %v", s, err)
	}
	if got, err := process.Wait[string](ctx, p); err != nil || got != "sent" {
		t.Fatalf("client: %q %v", got, err)
	}
	if err := conn.Recv(ctx, &s); err != io.EOF {
		t.Fatalf("after the client closed: %v", err)
	}
	conn.Close()
	l.Close()
	if _, err := l.Accept(ctx); !errors.Is(err, os.ErrClosed) {
		t.Fatalf("accept after close: %v", err)
	}
	if _, err := ring.Dial(ctx, seg, "svc"); !errors.Is(err, os.ErrClosed) {
		t.Fatalf("dial a closed listener: %v", err)
	}
	if _, err := ring.Dial(ctx, seg, "nobody"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("dial a name no one listens under: %v", err)
	}
}

// TestListenerAcceptLate is test_issue14725: the client connects, sends
// and closes (and exits) before the listener accepts; the message is
// there all the same.
func TestListenerAcceptLate(t *testing.T) {
	ctx := testutil.Context(t)
	seg := namedSeg(t)
	l, err := ring.Listen(seg, "svc", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if got, err := process.Run(ctx, clientTask, clientArg{Seg: seg.Name(), Name: "svc", Msg: "hello"}); err != nil || got != "sent" {
		t.Fatalf("client: %q %v", got, err)
	}
	conn, err := l.Accept(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	var s string
	if err := conn.Recv(ctx, &s); err != nil || s != "hello" {
		t.Fatalf("%q %v", s, err)
	}
	if err := conn.Recv(ctx, &s); err != io.EOF {
		t.Fatalf("after the client's exit: %v", err)
	}
}

// TestListenerPoll is test_issue16955: a client in the listener's own
// process; the accepted end sends, the client's poll sees it.
func TestListenerPoll(t *testing.T) {
	ctx := testutil.Context(t)
	seg := namedSeg(t)
	l, err := ring.Listen(seg, "svc", nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err := ring.Dial(ctx, seg, "svc")
	if err != nil {
		t.Fatal(err)
	}
	a, err := l.Accept(ctx)
	if err != nil {
		t.Fatal(err)
	}
	a.SendBytes(ctx, []byte("hello"))
	short, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if !c.Poll(short) {
		t.Fatal("poll(1) after the accepted end sent")
	}
	a.Close()
	c.Close()
	l.Close()
}

// TestListenerMultipleBind is test_multiple_bind: a second Listen under a
// live listener's name fails (os.ErrExist), in this process and in
// another; after Close, or after the listener's process is killed -9, the
// name is taken over, and requests the dead one left are refused.
func TestListenerMultipleBind(t *testing.T) {
	ctx := testutil.Context(t)
	seg := namedSeg(t)
	l, err := ring.Listen(seg, "svc", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ring.Listen(seg, "svc", nil); !errors.Is(err, os.ErrExist) {
		t.Fatalf("a second Listen: %v", err)
	}
	if got, err := process.Run(ctx, listenTask, clientArg{Seg: seg.Name(), Name: "svc"}); err != nil || !strings.Contains(got, "already listening") {
		t.Fatalf("Listen in another process: %q %v", got, err)
	}
	l.Close()
	if got, err := process.Run(ctx, listenTask, clientArg{Seg: seg.Name(), Name: "svc"}); err != nil || got != "listening" {
		t.Fatalf("Listen after Close, in another process: %q %v", got, err)
	}
	// A listener killed with a request it never accepted.
	flag, _ := seg.Alloc("flag", 8, 8)
	p := proctest.Start(t, ctx, listenTask, clientArg{Seg: seg.Name(), Name: "svc", Hang: true, Flag: flag.Handle()})
	waitFlag(t, ctx, flag.Handle())
	c, err := ring.Dial(ctx, seg, "svc")
	if err != nil {
		t.Fatal(err)
	}
	p.Kill()
	p.Join(ctx)
	if _, err := c.RecvBytes(ctx); err != io.EOF {
		t.Fatalf("recv on a connection whose listener died before accepting: %v", err)
	}
	if err := c.SendBytes(ctx, []byte("x")); err == nil {
		t.Fatal("send on it")
	}
	if _, err := ring.Dial(ctx, seg, "svc"); !errors.Is(err, ring.ErrPeerDead) {
		t.Fatalf("dial a dead listener: %v", err)
	}
	l2, err := ring.Listen(seg, "svc", nil)
	if err != nil {
		t.Fatalf("Listen after the listener died: %v", err)
	}
	defer l2.Close()
	c2, err := ring.Dial(ctx, seg, "svc")
	if err != nil {
		t.Fatal(err)
	}
	a2, err := l2.Accept(ctx) // the dead listener's request was refused, not queued
	if err != nil {
		t.Fatal(err)
	}
	c2.SendBytes(ctx, []byte("new"))
	if m, err := a2.RecvBytes(ctx); err != nil || string(m) != "new" {
		t.Fatalf("%q %v", m, err)
	}
}

// TestListenerClientKilled: a client SIGKILLed after sending, holding its
// end: the accepted end reads what it sent, then ErrPeerDead.
func TestListenerClientKilled(t *testing.T) {
	ctx := testutil.Context(t)
	seg := namedSeg(t)
	l, err := ring.Listen(seg, "svc", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	flag, _ := seg.Alloc("flag", 8, 8)
	p := proctest.Start(t, ctx, clientTask, clientArg{Seg: seg.Name(), Name: "svc", Msg: "last words", Hang: true, Flag: flag.Handle()})
	conn, err := l.Accept(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	waitFlag(t, ctx, flag.Handle())
	p.Kill()
	var s string
	if err := conn.Recv(ctx, &s); err != nil || s != "last words" {
		t.Fatalf("%q %v", s, err)
	}
	start := time.Now()
	if err := conn.Recv(ctx, &s); !errors.Is(err, ring.ErrPeerDead) {
		t.Fatalf("after the client's death: %v", err)
	}
	if el := time.Since(start); el > reportBound {
		t.Fatalf("reported after %v", el)
	}
}
