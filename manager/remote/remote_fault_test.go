package remote

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"os"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/shmkit/shmkit/internal/kernel"
	"github.com/shmkit/shmkit/internal/testutil"
	"github.com/shmkit/shmkit/manager/table"
	"github.com/shmkit/shmkit/process"
	"github.com/shmkit/shmkit/shm"
)

// serveOn serves a new segment on ln (the caller's listener, wrapped or
// fake) and stops it in Cleanup; Serve must end with ctx's error.
func serveOn(t testing.TB, s *Server, ln net.Listener) {
	t.Helper()
	m := newSource(t, 16<<20)
	s.Manager, s.AuthKey = m, testKey
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if !errors.Is(err, context.Canceled) {
				t.Errorf("Serve returned %v", err)
			}
		case <-time.After(testutil.Timeout):
			t.Errorf("Serve did not return after its context ended")
		}
	})
}

func listen(t testing.TB) net.Listener {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	return ln
}

// flakyListener fails its first Accepts with errs, then accepts for real;
// it records when each Accept was called.
type flakyListener struct {
	net.Listener
	mu    sync.Mutex
	errs  []error
	calls []time.Time
	again error // returned forever once errs are used up, if set
}

func (l *flakyListener) Accept() (net.Conn, error) {
	l.mu.Lock()
	l.calls = append(l.calls, time.Now())
	if len(l.errs) > 0 {
		err := l.errs[0]
		l.errs = l.errs[1:]
		l.mu.Unlock()
		return nil, err
	}
	again := l.again
	l.mu.Unlock()
	if again != nil {
		return nil, again
	}
	return l.Listener.Accept()
}

func (l *flakyListener) callTimes() []time.Time {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]time.Time(nil), l.calls...)
}

// acceptErr is what net.TCPListener.Accept returns for errno.
func acceptErr(errno syscall.Errno) error {
	return &net.OpError{Op: "accept", Net: "tcp", Err: os.NewSyscallError("accept4", errno)}
}

type timeoutErr struct{}

func (timeoutErr) Error() string   { return "i/o timeout" }
func (timeoutErr) Timeout() bool   { return true }
func (timeoutErr) Temporary() bool { return true }

type temporaryErr struct{}

func (temporaryErr) Error() string   { return "try again later" }
func (temporaryErr) Timeout() bool   { return false }
func (temporaryErr) Temporary() bool { return true }

// TestServeAcceptTemporaryErrors: Accept fails with each temporary error
// (EMFILE first, as when the server is out of descriptors); the server
// backs off, doubling from 5 ms, and goes on serving.
func TestServeAcceptTemporaryErrors(t *testing.T) {
	ctx := testCtx(t)
	errs := []error{
		acceptErr(syscall.EMFILE), acceptErr(syscall.EMFILE), acceptErr(syscall.ENFILE),
		acceptErr(syscall.ECONNABORTED), acceptErr(syscall.ENOBUFS), acceptErr(syscall.ENOMEM),
		timeoutErr{}, temporaryErr{},
	}
	var logBuf syncBuffer
	ln := &flakyListener{Listener: listen(t), errs: errs}
	serveOn(t, &Server{ErrorLog: log.New(&logBuf, "", 0)}, ln)
	d := dialDict(t, ln.Addr().String())
	if err := d.Set(ctx, "a", []byte("1")); err != nil {
		t.Fatal(err)
	}
	if v, ok, err := d.Get(ctx, "a"); err != nil || !ok || string(v) != "1" {
		t.Fatalf("Get a = %q %v %v", v, ok, err)
	}
	calls := ln.callTimes()
	if len(calls) < len(errs)+1 {
		t.Fatalf("%d Accept calls, want at least %d", len(calls), len(errs)+1)
	}
	for i := range errs {
		want := acceptBackoffMin << i
		if gap := calls[i+1].Sub(calls[i]); gap < want {
			t.Errorf("retry %d after %v, want at least %v", i+1, gap, want)
		}
	}
	if n := strings.Count(logBuf.String(), "retrying in"); n != len(errs) {
		t.Errorf("%d accept errors logged, want %d:\n%s", n, len(errs), logBuf.String())
	}
}

// TestServeAcceptStops: a closed listener (or one that cannot accept
// anything ever) ends Serve with its error; the context ends it even in
// the middle of a backoff.
func TestServeAcceptStops(t *testing.T) {
	m := newSource(t, 1<<20)
	for _, tc := range []struct {
		name string
		err  error
	}{
		{"closed", fmt.Errorf("accept: %w", net.ErrClosed)},
		{"EBADF", acceptErr(syscall.EBADF)},
		{"EINVAL", acceptErr(syscall.EINVAL)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := testCtx(t)
			ln := &flakyListener{Listener: listen(t), errs: []error{acceptErr(syscall.EMFILE)}, again: tc.err}
			s := &Server{Manager: m, AuthKey: testKey}
			done := make(chan error, 1)
			go func() { done <- s.Serve(ctx, ln) }()
			select {
			case err := <-done:
				if !errors.Is(err, tc.err) {
					t.Fatalf("Serve returned %v, want %v", err, tc.err)
				}
			case <-ctx.Done():
				t.Fatal("Serve goes on after its listener failed for good")
			}
		})
	}
	t.Run("ctx", func(t *testing.T) {
		ctx := testCtx(t)
		ln := &flakyListener{Listener: listen(t), again: acceptErr(syscall.EMFILE)}
		s := &Server{Manager: m, AuthKey: testKey}
		sctx, cancel := context.WithCancel(ctx)
		defer cancel()
		done := make(chan error, 1)
		go func() { done <- s.Serve(sctx, ln) }()
		// Wait until the backoff is long (5 ms doubled 7 times: 640 ms).
		testutil.WaitFor(t, ctx, "8 Accept calls", func() bool {
			select {
			case err := <-done:
				t.Fatalf("Serve returned %v on EMFILE", err)
			default:
			}
			return len(ln.callTimes()) >= 8
		})
		cancel()
		start := time.Now()
		select {
		case err := <-done:
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("Serve returned %v, want context.Canceled", err)
			}
			if d := time.Since(start); d > 500*time.Millisecond {
				t.Errorf("Serve returned %v after its context ended", d)
			}
		case <-ctx.Done():
			t.Fatal("Serve did not return after its context ended")
		}
	})
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// emfileServer serves a manager on the listener it inherits (file 0) with
// its descriptor limit lowered to limit, logging to file 2, until file 1
// (a pipe) reaches EOF.
var emfileServer = process.Register("remote.emfileServer", func(ctx context.Context, limit uint64) (struct{}, error) {
	files := process.Files()
	if len(files) != 3 {
		return struct{}{}, fmt.Errorf("%d files, want 3", len(files))
	}
	ln, err := net.FileListener(files[0])
	files[0].Close()
	if err != nil {
		return struct{}{}, err
	}
	seg, err := shm.Anonymous(4<<20, nil)
	if err != nil {
		return struct{}{}, err
	}
	defer seg.Close()
	if _, err := table.NewDict(seg, "d", &table.Options{Entries: 1000}); err != nil {
		return struct{}{}, err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		io.Copy(io.Discard, files[1])
		cancel()
	}()
	if _, err := kernel.SetOpenFileLimit(limit); err != nil {
		return struct{}{}, err
	}
	s := &Server{Manager: segSource{seg}, AuthKey: testKey, ErrorLog: log.New(files[2], "", 0)}
	if err := s.Serve(ctx, ln); !errors.Is(err, context.Canceled) {
		return struct{}{}, fmt.Errorf("Serve: %w", err)
	}
	return struct{}{}, nil
})

// TestServeEMFILE runs a server in a child whose RLIMIT_NOFILE is 48:
// first 60 connections at once (more than it has descriptors for), until
// its accept fails with EMFILE; then, those gone, 80 clients at once, each
// a Set and a Get. The server survives all that and serves them all.
func TestServeEMFILE(t *testing.T) {
	ctx, cancel := context.WithTimeout(testCtx(t), 45*time.Second)
	defer cancel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	lnFile, err := ln.(*net.TCPListener).File()
	ln.Close() // the child's copy is the only one left
	if err != nil {
		t.Fatal(err)
	}
	stopR, stopW, err := os.Pipe()
	if err != nil {
		lnFile.Close()
		t.Fatal(err)
	}
	logR, logW, err := os.Pipe()
	if err != nil {
		lnFile.Close()
		stopR.Close()
		stopW.Close()
		t.Fatal(err)
	}
	p, err := process.Start(ctx, emfileServer, 48, process.WithFiles(lnFile, stopR, logW))
	lnFile.Close()
	stopR.Close()
	logW.Close()
	if err != nil {
		stopW.Close()
		logR.Close()
		t.Fatal(err)
	}
	// The child's log, line by line; emfile is closed at its first EMFILE.
	emfile := make(chan struct{})
	logDone := make(chan struct{})
	var logLines []string
	emfiles := 0
	go func() {
		defer close(logDone)
		defer logR.Close()
		sc := bufio.NewScanner(logR)
		for sc.Scan() {
			if !strings.Contains(sc.Text(), "too many open files") {
				logLines = append(logLines, sc.Text())
				continue
			}
			if emfiles++; emfiles == 1 {
				logLines = append(logLines, sc.Text())
				close(emfile)
			}
		}
	}()
	var conns []net.Conn
	var wg sync.WaitGroup
	closeConns := func() {
		for _, c := range conns {
			c.Close()
		}
		conns = nil
		wg.Wait()
	}
	// On every way out: no connection, goroutine or child left.
	defer func() {
		closeConns()
		stopW.Close()
		select {
		case <-p.Done():
		case <-ctx.Done():
			p.Kill()
			<-p.Done()
		}
		<-logDone
	}()

	// Phase 1: more connections than the child has descriptors, until its
	// accept fails with EMFILE.
	var dialErr error
	for range 60 {
		c, err := net.Dial("tcp", addr)
		if err != nil {
			dialErr = err
			break
		}
		conns = append(conns, c)
		wg.Add(1)
		go func() {
			defer wg.Done()
			clientHandshake(c, testKey, time.Now().Add(30*time.Second))
		}()
	}
	select {
	case <-emfile:
	case <-p.Done():
		closeConns()
		<-logDone
		t.Fatalf("the server stopped (%v; a dial: %v); its log: %q", p.Join(ctx), dialErr, logLines)
	case <-ctx.Done():
		t.Fatalf("no EMFILE from a server with 48 descriptors and 60 connections (a dial: %v)", dialErr)
	}
	closeConns()

	// Phase 2: 80 clients at once, on a server that is short of
	// descriptors again.
	errs := make(chan error, 80)
	for i := range 80 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			errs <- func() error {
				c, err := Dial(ctx, addr, testKey)
				if err != nil {
					return err
				}
				defer c.Close()
				d, err := c.Dict(ctx, "d", nil)
				if err != nil {
					return err
				}
				k := fmt.Sprint("k", i)
				if err := d.Set(ctx, k, []byte(k)); err != nil {
					return err
				}
				if v, ok, err := d.Get(ctx, k); err != nil || !ok || string(v) != k {
					return fmt.Errorf("Get %s = %q %v %v", k, v, ok, err)
				}
				return nil
			}()
		}()
	}
	wg.Wait()
	close(errs)
	failed := 0
	for err := range errs {
		if err != nil {
			if failed == 0 {
				t.Errorf("a client failed: %v", err)
			}
			failed++
		}
	}
	if failed > 0 {
		t.Fatalf("%d of 80 clients failed", failed)
	}
	// The server is still there, and stops cleanly.
	d := dialDict(t, addr)
	if n, err := d.Len(ctx); err != nil || n != 80 {
		t.Fatalf("Len = %d %v, want 80", n, err)
	}
	d.Close()
	stopW.Close()
	if err := p.Join(ctx); err != nil {
		t.Fatalf("server child: %v", err)
	}
	<-logDone
	t.Logf("the server retried accept %d times on EMFILE; %d other log lines, the first: %q",
		emfiles, len(logLines)-1, logLines[:min(len(logLines), 3)])
}

// watchConn tells how much the server has read, and whether it waits in a
// Read for more.
type watchConn struct {
	net.Conn
	read   atomic.Int64
	waitAt atomic.Int64 // bytes read when a Read still running began; -1: none
}

func (c *watchConn) Read(p []byte) (int, error) {
	c.waitAt.Store(c.read.Load())
	n, err := c.Conn.Read(p)
	c.read.Add(int64(n))
	c.waitAt.Store(-1)
	return n, err
}

type watchListener struct {
	net.Listener
	conns chan *watchConn
}

func (l *watchListener) Accept() (net.Conn, error) {
	c, err := l.Listener.Accept()
	if err != nil {
		return nil, err
	}
	wc := &watchConn{Conn: c}
	wc.waitAt.Store(-1)
	select {
	case l.conns <- wc:
	default:
	}
	return wc, nil
}

// TestServeStalledFrameMemory: 20 authenticated clients each declare a
// frame of the largest size, send 1000 bytes of it and stall. The server
// must not have allocated what they declared, only about what came; and a
// normal client still works.
func TestServeStalledFrameMemory(t *testing.T) {
	ctx := testCtx(t)
	ln := &watchListener{Listener: listen(t), conns: make(chan *watchConn, 64)}
	serveOn(t, &Server{}, ln)
	addr := ln.Addr().String()
	const (
		n       = 20
		partial = 1000
	)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	for range n {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		if err := clientHandshake(conn, testKey, time.Now().Add(10*time.Second)); err != nil {
			t.Fatal(err)
		}
		var sc *watchConn
		select {
		case sc = <-ln.conns:
		case <-ctx.Done():
			t.Fatal("no connection accepted")
		}
		msg := binary.LittleEndian.AppendUint32(nil, DefaultMaxFrame)
		msg = append(msg, opSet, 3, 0)
		msg = append(msg, make([]byte, partial-3)...)
		if _, err := conn.Write(msg); err != nil {
			t.Fatal(err)
		}
		// The server has read the header and what came of the body, and
		// waits for the rest: it has made room for the frame by now.
		want := int64(nonceSize + macSize + len(msg))
		testutil.WaitFor(t, ctx, "the server to wait for the rest of the frame", func() bool {
			return sc.waitAt.Load() == want
		})
	}
	runtime.ReadMemStats(&after)
	total := after.TotalAlloc - before.TotalAlloc
	t.Logf("%d stalled frames of %d MiB declared: %.1f MiB allocated, heap %.1f MiB", n, DefaultMaxFrame>>20,
		float64(total)/(1<<20), float64(after.HeapAlloc)/(1<<20))
	if total > 32<<20 {
		t.Fatalf("%d stalled frames made the server allocate %d MiB", n, total>>20)
	}
	d := dialDict(t, addr)
	if err := d.Set(ctx, "a", []byte("1")); err != nil {
		t.Fatal(err)
	}
	if v, ok, err := d.Get(ctx, "a"); err != nil || !ok || string(v) != "1" {
		t.Fatalf("Get a = %q %v %v", v, ok, err)
	}
}

// stallReader yields b, then fails with errStalled.
type stallReader struct {
	b     []byte
	chunk int // at most this much per Read (0: all)
}

var errStalled = errors.New("stalled")

func (r *stallReader) Read(p []byte) (int, error) {
	if len(r.b) == 0 {
		return 0, errStalled
	}
	if r.chunk > 0 && len(p) > r.chunk {
		p = p[:r.chunk]
	}
	n := copy(p, r.b)
	r.b = r.b[n:]
	return n, nil
}

func allocated(fn func()) uint64 {
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	fn()
	runtime.ReadMemStats(&after)
	return after.TotalAlloc - before.TotalAlloc
}

// TestFrameReadGrowsWithData: readFrame (server and client alike) makes
// room as bytes come, not as the length word declares.
func TestFrameReadGrowsWithData(t *testing.T) {
	// A frame of the largest size declared, 1000 bytes of it sent.
	msg := binary.LittleEndian.AppendUint32(nil, DefaultMaxFrame)
	msg = append(msg, make([]byte, 1000)...)
	var err error
	a := allocated(func() { _, _, err = readFrame(&stallReader{b: msg}, DefaultMaxFrame, nil) })
	if !errors.Is(err, errStalled) {
		t.Fatalf("stalled frame: %v, want errStalled", err)
	}
	if a > 256<<10 {
		t.Fatalf("a stalled frame of %d MiB declared, 1000 bytes sent: %d KiB allocated", DefaultMaxFrame>>20, a>>10)
	}
	// A frame that ends early.
	if _, _, err := readFrame(bytes.NewReader(msg), DefaultMaxFrame, nil); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("short frame: %v, want io.ErrUnexpectedEOF", err)
	}
	// Large frames still arrive whole, in small reads or large, and cost
	// a bounded multiple of their size.
	big := bytes.Repeat([]byte("0123456789abcdef"), 3<<20/16+7)
	for _, chunk := range []int{0, 1000, 70 << 10} {
		enc := appendFrame(nil, opSet, []byte("d"), []byte("k"), big)
		var f frame
		a := allocated(func() { f, _, err = readFrame(&stallReader{b: enc, chunk: chunk}, DefaultMaxFrame, nil) })
		if err != nil || f.op != opSet || len(f.fields) != 3 || !bytes.Equal(f.fields[2], big) {
			t.Fatalf("chunk %d: big frame: %v", chunk, err)
		}
		if a > 3*uint64(len(enc)) {
			t.Errorf("chunk %d: a frame of %d bytes allocated %d", chunk, len(enc), a)
		}
	}
	// A buffer large enough is reused.
	enc := appendFrame(nil, opSet, []byte("d"), []byte("k"), big)
	buf := make([]byte, len(enc))
	var out []byte
	if a := allocated(func() { _, out, err = readFrame(&stallReader{b: enc, chunk: 1000}, DefaultMaxFrame, buf) }); err != nil || a > 4<<10 || &out[0] != &buf[0] {
		t.Fatalf("reading into a large enough buffer: %v, %d bytes allocated", err, a)
	}
}

// TestRemoteClientStalledReply: a server (one that knows the key) that
// declares a reply of the largest size and stalls does not make the
// client allocate it.
func TestRemoteClientStalledReply(t *testing.T) {
	ctx := testCtx(t)
	ln := listen(t)
	release := make(chan struct{})
	served := make(chan error, 1)
	go func() {
		served <- func() error {
			conn, err := ln.Accept()
			if err != nil {
				return err
			}
			defer conn.Close()
			if err := serverHandshake(conn, testKey, 10*time.Second); err != nil {
				return err
			}
			if _, _, err := readFrame(conn, DefaultMaxFrame, nil); err != nil {
				return err
			}
			msg := binary.LittleEndian.AppendUint32(nil, DefaultMaxFrame)
			msg = append(msg, statusOK, 1, 0)
			msg = append(msg, make([]byte, 1000)...)
			if _, err := conn.Write(msg); err != nil {
				return err
			}
			<-release
			return nil
		}()
	}()
	c, err := Dial(ctx, ln.Addr().String(), testKey)
	if err != nil {
		t.Fatal(err)
	}
	a := allocated(func() {
		cctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
		defer cancel()
		if _, err = c.Dict(cctx, "d", nil); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("a call whose reply stalls: %v, want context.DeadlineExceeded", err)
		}
	})
	c.Close()
	close(release)
	if err := <-served; err != nil {
		t.Fatal(err)
	}
	if a > 4<<20 {
		t.Fatalf("a stalled reply of %d MiB declared: the client allocated %d KiB", DefaultMaxFrame>>20, a>>10)
	}
}
