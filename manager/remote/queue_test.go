package remote

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/shmkit/shmkit/internal/testutil"
	"github.com/shmkit/shmkit/internal/testutil/segtest"
	"github.com/shmkit/shmkit/manager/table"
	"github.com/shmkit/shmkit/process"
	"github.com/shmkit/shmkit/ring"
	"github.com/shmkit/shmkit/shm"
)

func dial(t testing.TB, addr string) *Client {
	t.Helper()
	c, err := Dial(testCtx(t), addr, testKey)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// TestRemoteQueue: capacity, Try calls, waits that end by a value, by
// room or by the deadline, and the same queue seen in place on the
// server's side.
func TestRemoteQueue(t *testing.T) {
	ctx := testCtx(t)
	seg, addr := startServer(t, nil)
	c := dial(t, addr)
	if _, err := OpenQueue[string](ctx, c, "missing", nil); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("opening a missing queue: %v, want os.ErrNotExist", err)
	}
	q, err := OpenQueue[string](ctx, c, "q", &QueueOptions{Capacity: 4})
	if err != nil {
		t.Fatal(err)
	}
	if q.Cap() < 4 {
		t.Fatalf("Cap = %d", q.Cap())
	}
	if _, err := q.TryGet(ctx); !errors.Is(err, ring.ErrEmpty) {
		t.Fatalf("TryGet of an empty queue: %v, want ring.ErrEmpty", err)
	}
	var n int
	for ; ; n++ {
		err := q.TryPut(ctx, fmt.Sprint("v", n))
		if errors.Is(err, ring.ErrFull) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	if n != q.Cap() {
		t.Fatalf("%d TryPuts fit, Cap %d", n, q.Cap())
	}
	if l, _ := q.Len(ctx); l != n {
		t.Fatalf("Len = %d, want %d", l, n)
	}
	// A Put on a full queue waits for room: a Get in another goroutine
	// (on the same Client) makes it.
	done := make(chan error, 1)
	go func() { done <- q.Put(ctx, "last") }()
	time.Sleep(50 * time.Millisecond)
	if v, err := q.Get(ctx); err != nil || v != "v0" {
		t.Fatalf("Get = %q %v", v, err)
	}
	if err := <-done; err != nil {
		t.Fatalf("Put on a full queue: %v", err)
	}
	// The same queue, in place, on the server's side.
	local, err := ring.OpenQueue[string](seg, "q")
	if err != nil {
		t.Fatal(err)
	}
	if v, err := local.Get(ctx); err != nil || v != "v1" {
		t.Fatalf("local Get = %q %v", v, err)
	}
	for range n - 1 {
		q.Get(ctx)
	}
	// A Get that waits returns a value put meanwhile by the local side.
	go func() { time.Sleep(50 * time.Millisecond); local.Put(ctx, "from the server's machine") }()
	if v, err := q.Get(ctx); err != nil || v != "from the server's machine" {
		t.Fatalf("waiting Get = %q %v", v, err)
	}
	// Its deadline ends it, about on time.
	dctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	if _, err := q.Get(dctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Get past its deadline: %v", err)
	}
	if d := time.Since(start); d < 150*time.Millisecond || d > 3*time.Second {
		t.Fatalf("Get with a 200 ms deadline took %v", d)
	}
	if err := q.TryPut(ctx, strings.Repeat("x", 1<<20)); !errors.Is(err, ring.ErrTooLarge) {
		t.Fatalf("a value larger than the queue: %v, want ring.ErrTooLarge", err)
	}
	if got := q.String(); got != fmt.Sprintf("remote queue %q at %s", "q", addr) {
		t.Fatalf("String = %q", got)
	}
}

// TestRemoteQueueCancelNoLoss: a Get cancelled while it waits hangs its
// connection up and the server stops waiting, so the next value goes to
// the next Get, not to the one that left.
func TestRemoteQueueCancelNoLoss(t *testing.T) {
	ctx := testCtx(t)
	_, addr := startServer(t, nil)
	q, err := OpenQueue[int](ctx, dial(t, addr), "q", &QueueOptions{Capacity: 8})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		gctx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { _, err := q.Get(gctx); done <- err }()
		time.Sleep(30 * time.Millisecond) // it waits on the server
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled Get: %v", err)
		}
		time.Sleep(10 * time.Millisecond) // the server sees the hang-up
		if err := q.Put(ctx, i); err != nil {
			t.Fatal(err)
		}
		gctx, cancel = context.WithTimeout(ctx, 5*time.Second)
		v, err := q.Get(gctx)
		cancel()
		if err != nil || v != i {
			t.Fatalf("round %d: Get after a cancelled one = %d %v: the value went to the one that left", i, v, err)
		}
	}
}

// message is CPython's _TestRemoteManager values: a string, None, a
// bool, a float, unicode and bytes.
type message struct {
	Hello   string
	None    *string
	True    bool
	Float   float64
	Unicode []string
	Bytes   []byte
}

var cpythonValues = message{
	Hello: "hello world", True: true, Float: 2.25,
	Unicode: []string{"hallå världen", "привіт світ"}, Bytes: []byte("hall\xe5 v\xe4rlden"),
}

type putterArg struct {
	Addr string
	Key  []byte
}

// putter is CPython's _putter: it connects to the server and puts the
// values on the queue another process gets from.
var putter = process.Register("remote.putter", func(ctx context.Context, a putterArg) (struct{}, error) {
	c, err := Dial(ctx, a.Addr, a.Key)
	if err != nil {
		return struct{}{}, err
	}
	defer c.Close()
	q, err := OpenQueue[message](ctx, c, "get_queue", &QueueOptions{Capacity: 16, SlotSize: 512})
	if err != nil {
		return struct{}{}, err
	}
	return struct{}{}, q.Put(ctx, cpythonValues)
})

// TestRemoteQueueProcesses is CPython's test_remote: a process puts on a
// queue served over TCP, another gets what it put; a value the codec
// cannot carry (a function) is an error on the client.
func TestRemoteQueueProcesses(t *testing.T) {
	ctx := testCtx(t)
	_, addr := startServer(t, nil)
	c := dial(t, addr)
	q, err := OpenQueue[message](ctx, c, "get_queue", &QueueOptions{Capacity: 16, SlotSize: 512})
	if err != nil {
		t.Fatal(err)
	}
	p, err := process.Start(ctx, putter, putterArg{addr, testKey})
	if err != nil {
		t.Fatal(err)
	}
	got, err := q.Get(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != fmt.Sprint(cpythonValues) {
		t.Fatalf("got %+v, want %+v", got, cpythonValues)
	}
	if err := p.Join(ctx); err != nil {
		t.Fatal(err)
	}
	fq, err := OpenQueue[func()](ctx, c, "get_queue", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := fq.Put(ctx, func() {}); err == nil {
		t.Fatal("a function went on the queue")
	}
}

type getterArg struct {
	Addr  string
	Key   []byte
	Ready *table.Dict
}

// getter marks that it is about to wait, then waits for a value it never
// gets: it is killed first.
var getter = process.Register("remote.getter", func(ctx context.Context, a getterArg) (int, error) {
	c, err := Dial(ctx, a.Addr, a.Key)
	if err != nil {
		return 0, err
	}
	q, err := OpenQueue[int](ctx, c, "q", nil)
	if err != nil {
		return 0, err
	}
	if err := a.Ready.Set(ctx, "waiting", nil); err != nil {
		return 0, err
	}
	return q.Get(ctx)
})

// TestRemoteQueueWaiterKilled: a client process killed with kill -9 while
// its Get waits on the server: the server sees the hang-up and stops
// waiting, so the next value reaches a live client instead of the dead.
func TestRemoteQueueWaiterKilled(t *testing.T) {
	ctx := testCtx(t)
	_, addr := startServer(t, nil)
	q, err := OpenQueue[int](ctx, dial(t, addr), "q", &QueueOptions{Capacity: 8})
	if err != nil {
		t.Fatal(err)
	}
	ready, err := table.NewDict(segtest.New(t), "ready", &table.Options{Entries: 4, Bytes: 4096, MaxValue: 16})
	if err != nil {
		t.Fatal(err)
	}
	for round := range testutil.KillLoops(3) {
		ready.Clear(ctx)
		p, err := process.Start(ctx, getter, getterArg{addr, testKey, ready})
		if err != nil {
			t.Fatal(err)
		}
		testutil.WaitFor(t, ctx, "the getter to wait", func() bool { ok, _ := ready.Contains(ctx, "waiting"); return ok })
		time.Sleep(50 * time.Millisecond) // its Get reaches the server and waits
		p.Kill()
		<-p.Done()
		time.Sleep(20 * time.Millisecond)
		if err := q.Put(ctx, round); err != nil {
			t.Fatal(err)
		}
		gctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		v, err := q.Get(gctx)
		cancel()
		if err != nil || v != round {
			t.Fatalf("round %d: Get after the waiter was killed = %d %v: the dead took the value", round, v, err)
		}
	}
}

type serverArg struct {
	Addr *table.Dict
	Key  []byte
}

// serveQueues serves a segment of its own on a fresh port, writes the
// address where the parent reads it, and serves until killed.
var serveQueues = process.Register("remote.serveQueues", func(ctx context.Context, a serverArg) (struct{}, error) {
	seg, err := shm.Anonymous(16<<20, nil)
	if err != nil {
		return struct{}{}, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return struct{}{}, err
	}
	s := &Server{Manager: segSource{seg}, AuthKey: a.Key}
	if err := a.Addr.Set(ctx, "addr", []byte(ln.Addr().String())); err != nil {
		return struct{}{}, err
	}
	return struct{}{}, s.Serve(ctx, ln)
})

// TestRemoteQueueServerKilled: the server killed with kill -9 while a
// client's Get waits on it: the Get fails at once with a connection
// error, it does not wait out its context.
func TestRemoteQueueServerKilled(t *testing.T) {
	ctx := testCtx(t)
	addrs, err := table.NewDict(segtest.New(t), "addr", &table.Options{Entries: 4, Bytes: 4096, MaxValue: 64})
	if err != nil {
		t.Fatal(err)
	}
	p, err := process.Start(ctx, serveQueues, serverArg{addrs, testKey})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { p.Kill(); <-p.Done() }()
	var addr []byte
	testutil.WaitFor(t, ctx, "the server's address", func() bool { addr, _, _ = addrs.Get(ctx, "addr"); return addr != nil })
	c := dial(t, string(addr))
	q, err := OpenQueue[int](ctx, c, "q", &QueueOptions{Capacity: 4})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { _, err := q.Get(ctx); done <- err }()
	time.Sleep(50 * time.Millisecond)
	start := time.Now()
	p.Kill()
	select {
	case err := <-done:
		if err == nil || errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("Get when the server died: %v", err)
		}
		if !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) && !strings.Contains(err.Error(), "reset") {
			t.Logf("Get when the server died: %v", err)
		}
		t.Logf("the Get failed %v after the kill: %v", time.Since(start), err)
	case <-time.After(10 * time.Second):
		t.Fatal("a Get still waits 10 s after its server was killed")
	}
}
