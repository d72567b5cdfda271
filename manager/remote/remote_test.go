package remote

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shmkit/shmkit/internal/testutil"
	"github.com/shmkit/shmkit/internal/testutil/leak"
	"github.com/shmkit/shmkit/internal/testutil/segtest"
	"github.com/shmkit/shmkit/manager/table"
	"github.com/shmkit/shmkit/process"
	"github.com/shmkit/shmkit/shm"
)

func TestMain(m *testing.M) {
	process.Main()
	os.Exit(leak.Main(m))
}

func testCtx(t testing.TB) context.Context { return testutil.Context(t) }

var testKey = []byte("test secret key")

// segSource is what a Manager is to a Server: a segment of dicts.
type segSource struct{ seg *shm.Segment }

func (s segSource) Segment() *shm.Segment { return s.seg }

// newSource returns a Source on a new segment, closed in Cleanup (after
// the servers that serve it stop: Cleanups run last first).
func newSource(t testing.TB, size int) segSource {
	return segSource{segtest.NewSize(t, size)}
}

// startServer serves a new segment on 127.0.0.1 and stops it in Cleanup.
func startServer(t testing.TB, s *Server) (*shm.Segment, string) {
	t.Helper()
	m := newSource(t, 16<<20)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if s == nil {
		s = &Server{}
	}
	s.Manager, s.AuthKey = m, testKey
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Serve(ctx, ln) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("Serve returned %v", err)
		}
	})
	return m.seg, ln.Addr().String()
}

func dialDict(t testing.TB, addr string) *Dict {
	t.Helper()
	ctx := testCtx(t)
	c, err := Dial(ctx, addr, testKey)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	d, err := c.Dict(ctx, "d", &table.Options{Entries: 1000})
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestRemoteSameAsLocal runs the same calls on a Dict and checks the
// server's table.Dict sees them.
func TestRemoteSameAsLocal(t *testing.T) {
	ctx := testCtx(t)
	seg, addr := startServer(t, nil)
	d := dialDict(t, addr)
	if err := d.Set(ctx, "a", []byte("1")); err != nil {
		t.Fatal(err)
	}
	local, err := table.OpenDict(seg, "d")
	if err != nil {
		t.Fatal(err)
	}
	if v, ok, _ := local.Get(ctx, "a"); !ok || string(v) != "1" {
		t.Fatalf("server side Get a = %q %v", v, ok)
	}
	if v, ok, err := d.Get(ctx, "a"); err != nil || !ok || string(v) != "1" {
		t.Fatalf("Get a = %q %v %v", v, ok, err)
	}
	if _, ok, err := d.Get(ctx, "nope"); ok || err != nil {
		t.Fatalf("Get nope = %v %v", ok, err)
	}
	if v, loaded, _ := d.SetDefault(ctx, "b", []byte("2")); loaded || string(v) != "2" {
		t.Fatalf("SetDefault b = %q %v", v, loaded)
	}
	if ok, _ := d.CompareAndSwap(ctx, "b", []byte("2"), []byte("3")); !ok {
		t.Fatal("CAS failed")
	}
	for range 10 {
		d.Update(ctx, "n", func(old []byte, ok bool) ([]byte, bool) {
			return append(old, 'x'), true
		})
	}
	if err := d.SetMany(ctx, map[string][]byte{"m": []byte("M"), "a": []byte("A")}); err != nil {
		t.Fatal(err)
	}
	if v, ok, _ := d.Pop(ctx, "m"); !ok || string(v) != "M" {
		t.Fatalf("Pop m = %q %v", v, ok)
	}
	checkContents(t, d, map[string][]byte{"a": []byte("A"), "b": []byte("3"), "n": []byte("xxxxxxxxxx")})
	if err := d.Set(ctx, strings.Repeat("k", 2000), nil); !errors.Is(err, table.ErrTooLarge) {
		t.Fatalf("long key: %v, want table.ErrTooLarge", err)
	}
	if err := d.Clear(ctx); err != nil {
		t.Fatal(err)
	}
	if n, _ := d.Len(ctx); n != 0 {
		t.Fatalf("Len after Clear = %d", n)
	}
	if _, _, ok, err := d.PopItem(ctx); ok || err != nil {
		t.Fatalf("PopItem of an empty dict = %v %v", ok, err)
	}
	d.Set(ctx, "last", []byte("one"))
	if k, v, ok, err := d.PopItem(ctx); !ok || err != nil || k != "last" || string(v) != "one" {
		t.Fatalf("PopItem = %q %q %v %v", k, v, ok, err)
	}
	c, _ := Dial(ctx, addr, testKey)
	defer c.Close()
	if _, err := c.Dict(ctx, "missing", nil); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("opening a missing dict: %v", err)
	}
}

func TestRemoteWrongKey(t *testing.T) {
	ctx := testCtx(t)
	_, addr := startServer(t, nil)
	if _, err := Dial(ctx, addr, []byte("wrong key")); !errors.Is(err, ErrAuth) {
		t.Fatalf("Dial with a wrong key: %v, want ErrAuth", err)
	}
	// A client that skips the handshake and sends a request gets nothing.
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.Write(appendFrame(make([]byte, nonceSize+macSize), opLen, []byte("d")))
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	got, _ := io.ReadAll(conn)
	if len(got) != len(authMagic)+nonceSize+1 || got[len(got)-1] != 0 {
		t.Fatalf("unauthenticated client got %d bytes %q, want the challenge and a refusal", len(got), got)
	}
	// The right key still works.
	dialDict(t, addr)
}

// TestRemoteBadClients: garbage frames, an oversized frame and a client
// stalled mid-frame, while a good client keeps working.
func TestRemoteBadClients(t *testing.T) {
	ctx := testCtx(t)
	_, addr := startServer(t, &Server{IdleTimeout: time.Second})
	raw := func() net.Conn {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { conn.Close() })
		if err := clientHandshake(conn, testKey, time.Now().Add(10*time.Second)); err != nil {
			t.Fatal(err)
		}
		return conn
	}
	// Garbage that frames but does not parse: an error reply, and the
	// connection goes on.
	c1 := raw()
	r1 := newTestReader(c1)
	for _, body := range [][]byte{
		{1, 2},                    // too short
		{99, 0, 0},                // unknown op
		{opGet, 5, 0, 1, 0, 0, 0}, // 5 fields announced, 1 short one
		{opGet, 1, 0, 9, 0, 0, 0}, // field longer than the frame
		{opSet, 1, 0, 0, 0, 0, 0}, // Set with 1 field
		{opOpen, 2, 0, 1, 0, 0, 0, 'd', 1, 0, 0, 0, 1}, // bad options
	} {
		c1.Write(binary.LittleEndian.AppendUint32(nil, uint32(len(body))))
		c1.Write(body)
		f, err := r1.read()
		if err != nil || f.op != statusErr {
			t.Fatalf("garbage %v: reply %v %v, want an error reply", body, f, err)
		}
		if err := remoteError(f.fields); !errors.Is(err, ErrProtocol) && !errors.Is(err, table.ErrTooLarge) && !errors.Is(err, os.ErrInvalid) {
			t.Fatalf("garbage %v: %v", body, err)
		}
	}
	// An oversized frame: error reply, then the server hangs up.
	c2 := raw()
	c2.Write(binary.LittleEndian.AppendUint32(nil, 1<<30))
	r2 := newTestReader(c2)
	if f, err := r2.read(); err != nil || !errors.Is(remoteError(f.fields), table.ErrTooLarge) {
		t.Fatalf("oversized frame: %v %v", f, err)
	}
	// A client stalled mid-frame is cut off after the idle timeout.
	c3 := raw()
	c3.Write([]byte{100, 0, 0, 0, opGet})
	// Meanwhile a good client works (dialed now: it must not idle out).
	good := dialDict(t, addr)
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 50 {
				k := fmt.Sprint(g, "-", i)
				if err := good.Set(ctx, k, []byte(k)); err != nil {
					t.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if n, err := good.Len(ctx); err != nil || n != 200 {
		t.Fatalf("Len = %d %v, want 200", n, err)
	}
	c3.SetReadDeadline(time.Now().Add(20 * time.Second))
	if n, err := c3.Read(make([]byte, 1)); err == nil {
		t.Fatalf("stalled client read %d bytes, want the server to hang up", n)
	}
	// The good client idled out meanwhile too: its next call dials again.
	if n, err := good.Len(ctx); err != nil || n != 200 {
		t.Fatalf("Len after an idle timeout = %d %v, want 200", n, err)
	}
}

func checkContents(t *testing.T, d *Dict, want map[string][]byte) {
	t.Helper()
	got, err := d.Snapshot(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	if !maps.EqualFunc(got, want, bytes.Equal) {
		t.Fatalf("contents = %q\nwant %q", got, want)
	}
	if n, err := d.Len(testCtx(t)); err != nil || n != len(want) {
		t.Fatalf("Len = %d %v, want %d", n, err, len(want))
	}
}

type testReader struct {
	r   io.Reader
	buf []byte
}

func newTestReader(c net.Conn) *testReader {
	c.SetReadDeadline(time.Now().Add(20 * time.Second))
	return &testReader{r: c}
}

func (r *testReader) read() (frame, error) {
	f, b, err := readFrame(r.r, DefaultMaxFrame, nil)
	r.buf = b
	return f, err
}

func TestFrameRoundTrip(t *testing.T) {
	fields := [][]byte{[]byte("name"), {}, bytes.Repeat([]byte{7}, 1000)}
	b := appendFrame(nil, opSet, fields...)
	if len(b) != frameSize(fields...) {
		t.Fatalf("frame of %d bytes, frameSize says %d", len(b), frameSize(fields...))
	}
	f, _, err := readFrame(bytes.NewReader(b), DefaultMaxFrame, nil)
	if err != nil || f.op != opSet || len(f.fields) != 3 || !bytes.Equal(f.fields[2], fields[2]) {
		t.Fatalf("round trip: %v %v", f, err)
	}
}

// TestRemotePipelined: many goroutines share one Client; their replies
// come back to the right callers, and a call whose context ends does not
// disturb the others.
func TestRemotePipelined(t *testing.T) {
	ctx := testCtx(t)
	_, addr := startServer(t, nil)
	d := dialDict(t, addr)
	var wg sync.WaitGroup
	for g := range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 100 {
				k := fmt.Sprint(g, "-", i%10)
				v := []byte(fmt.Sprint(g, "/", i))
				if err := d.Set(ctx, k, v); err != nil {
					t.Error(err)
					return
				}
				got, ok, err := d.Get(ctx, k)
				if err != nil || !ok || !bytes.Equal(got, v) {
					t.Errorf("Get %s = %q %v %v, want %q", k, got, ok, err, v)
					return
				}
				if err := d.Update(ctx, "count", func(old []byte, ok bool) ([]byte, bool) {
					n := 0
					fmt.Sscan(string(old), &n)
					return []byte(fmt.Sprint(n + 1)), true
				}); err != nil {
					t.Error(err)
					return
				}
				if i%25 == 0 {
					cctx, cancel := context.WithCancel(ctx)
					cancel()
					if _, _, err := d.Get(cctx, k); !errors.Is(err, context.Canceled) {
						t.Errorf("Get with a canceled context: %v", err)
					}
				}
			}
		}()
	}
	wg.Wait()
	if v, _, err := d.Get(ctx, "count"); err != nil || string(v) != "1600" {
		t.Fatalf("count = %s %v, want 1600", v, err)
	}
}

// TestRemoteReconnect: after the connection breaks, the next call dials
// again.
func TestRemoteReconnect(t *testing.T) {
	ctx := testCtx(t)
	_, addr := startServer(t, nil)
	d := dialDict(t, addr)
	if err := d.Set(ctx, "a", []byte("1")); err != nil {
		t.Fatal(err)
	}
	d.c.mu.Lock()
	d.c.cn.conn.Close() // as if the network dropped it
	d.c.mu.Unlock()
	var err error
	for range 3 { // the first call may see the broken connection
		if _, _, err = d.Get(ctx, "a"); err == nil {
			break
		}
	}
	if err != nil {
		t.Fatalf("Get after the connection broke: %v", err)
	}
}

// The benchmarks' dict: 1024 keys of 64-byte values.
const (
	benchKeys  = 1024
	benchValue = 64
)

func benchKey(i int) string { return "key" + strconv.Itoa(i%benchKeys) }

// In-process round trip over loopback TCP, one goroutine (sequential) and
// many (pipelined on one Client).
func BenchmarkRemoteOps(b *testing.B) {
	ctx := context.Background()
	_, addr := startServer(b, nil)
	d := dialDict(b, addr)
	val := make([]byte, benchValue)
	for i := range benchKeys {
		d.Set(ctx, benchKey(i), val)
	}
	b.Run("get", func(b *testing.B) {
		for i := range b.N {
			d.Get(ctx, benchKey(i))
		}
	})
	b.Run("set", func(b *testing.B) {
		for i := range b.N {
			d.Set(ctx, benchKey(i), val)
		}
	})
	// What get cannot beat: a request and a reply of get's sizes (26 and
	// 75 bytes for a 6-byte key) over a bare TCP connection.
	b.Run("bare-tcp", func(b *testing.B) {
		ln := listen(b)
		go func() {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			defer conn.Close()
			req, rep := make([]byte, 26), make([]byte, 75)
			for {
				if _, err := io.ReadFull(conn, req); err != nil {
					return
				}
				if _, err := conn.Write(rep); err != nil {
					return
				}
			}
		}()
		conn, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			b.Fatal(err)
		}
		defer conn.Close()
		req, rep := make([]byte, 26), make([]byte, 75)
		b.ResetTimer()
		for range b.N {
			if _, err := conn.Write(req); err != nil {
				b.Fatal(err)
			}
			if _, err := io.ReadFull(conn, rep); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("get-parallel", func(b *testing.B) {
		b.SetParallelism(8)
		b.RunParallel(func(pb *testing.PB) {
			for i := 0; pb.Next(); i++ {
				d.Get(ctx, benchKey(i))
			}
		})
	})
}
