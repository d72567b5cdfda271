package ring_test

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strconv"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/shmkit/shmkit/internal/testutil/segtest"
	"github.com/shmkit/shmkit/process"
	"github.com/shmkit/shmkit/ring"
	"github.com/shmkit/shmkit/shm"
)

// Benchmarks: peers are separate processes (see bench_peer_test.go), every
// message is written, read and checked, and the baselines (a raw pipe with
// blocking syscalls, a Go channel, memcpy, a bare cache-line round trip)
// run in the same invocation so ratios compare like with like. Names are
// scenario/transport/size.

type benchEnv struct {
	seg   *shm.Segment
	ctl   ctl
	ctlH  shm.Handle
	peers []*process.Process
}

func newBenchEnv(b *testing.B, size int) *benchEnv {
	b.Helper()
	seg, err := shm.Anonymous(size+1<<16, nil)
	if err != nil {
		b.Fatal(err)
	}
	o, err := seg.Alloc("ctl", 4*128, 128)
	if err != nil {
		b.Fatal(err)
	}
	return &benchEnv{seg: seg, ctl: ctl{o.Bytes()}, ctlH: o.Handle()}
}

// start launches a peer with arg (Ctl filled in) and files.
func (e *benchEnv) start(b *testing.B, a peerArg, files ...*os.File) {
	b.Helper()
	a.Ctl = e.ctlH
	p, err := process.Start(context.Background(), peerTask, a, process.WithFiles(files...))
	if err != nil {
		b.Fatal(err)
	}
	e.peers = append(e.peers, p)
}

// run waits for the peers to be ready, times body, waits for the peers
// to be done, and cleans up.
func (e *benchEnv) run(b *testing.B, body func() error) {
	b.Helper()
	defer e.seg.Close()
	defer func() {
		for _, p := range e.peers {
			p.Kill()
			p.Join(context.Background())
		}
	}()
	deadline := time.Now().Add(60 * time.Second)
	for e.ctl.ready().Load() != uint32(len(e.peers)) {
		if time.Now().After(deadline) {
			b.Fatal("peers never got ready")
		}
		time.Sleep(100 * time.Microsecond)
	}
	b.ReportAllocs()
	b.ResetTimer()
	e.ctl.start().Store(1)
	if err := body(); err != nil {
		b.Fatal(err)
	}
	// Poll gently: a spinning parent would steal a core from the peers.
	for e.ctl.done().Load() != uint32(len(e.peers)) {
		if time.Now().After(deadline) {
			b.Fatal("peers never finished")
		}
		time.Sleep(20 * time.Microsecond)
	}
	b.StopTimer()
	for _, p := range e.peers {
		if err := p.Join(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
	e.peers = nil
}

func reportRate(b *testing.B) {
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msg/s")
}

func streamRingCap(size int) int {
	if s := os.Getenv("SHMKIT_RING_STREAM_CAP"); s != "" {
		if n, err := strconv.Atoi(s); err == nil {
			return max(n, 4*size)
		}
	}
	return max(256<<10, 4*size)
}

func benchStreamSPSC(b *testing.B, size int, batch bool) {
	e := newBenchEnv(b, streamRingCap(size)+4096)
	r, err := ring.NewRing(e.seg, "r", &ring.Options{Capacity: streamRingCap(size)})
	if err != nil {
		b.Fatal(err)
	}
	role := "spsc-read"
	if batch {
		role = "spsc-readbatch"
	}
	e.start(b, peerArg{Role: role, R: r, N: b.N, Size: size})
	b.SetBytes(int64(size))
	ctx := context.Background()
	msg := make([]byte, size)
	e.run(b, func() error {
		if !batch {
			for i := range b.N {
				stamp(msg, uint64(i))
				if err := r.Write(ctx, msg); err != nil {
					return err
				}
			}
			return nil
		}
		for i := 0; i < b.N; {
			for j := 0; j < 64 && i < b.N; j++ {
				rec, err := r.Reserve(ctx, size)
				if err != nil {
					return err
				}
				stamp(rec, uint64(i))
				i++
			}
			r.Commit()
		}
		return nil
	})
	reportRate(b)
}

// rawPipe returns a pipe whose descriptors are in blocking mode.
func rawPipe(b *testing.B) (r, w *os.File, rfd, wfd int) {
	r, w, err := os.Pipe()
	if err != nil {
		b.Fatal(err)
	}
	return r, w, int(r.Fd()), int(w.Fd()) // Fd puts them in blocking mode
}

func benchStreamPipe(b *testing.B, size int) {
	e := newBenchEnv(b, 4096)
	r, w, _, wfd := rawPipe(b)
	defer r.Close()
	defer w.Close()
	e.start(b, peerArg{Role: "pipe-read", N: b.N, Size: size}, r)
	b.SetBytes(int64(size))
	msg := make([]byte, size)
	e.run(b, func() error {
		for i := range b.N {
			stamp(msg, uint64(i))
			if err := writeAll(wfd, msg); err != nil {
				return err
			}
		}
		return nil
	})
	reportRate(b)
}

func BenchmarkStream(b *testing.B) {
	for _, size := range []int{64, 4096, 65536, 262144, 1 << 20} {
		b.Run(fmt.Sprintf("shm-spsc/%d", size), func(b *testing.B) { benchStreamSPSC(b, size, false) })
		if size == 64 {
			b.Run("shm-spsc-batch/64", func(b *testing.B) { benchStreamSPSC(b, size, true) })
		}
		b.Run(fmt.Sprintf("pipe-raw/%d", size), func(b *testing.B) { benchStreamPipe(b, size) })
	}
	b.Run("chan/64", benchChan64)
	b.Run("memcpy/1048576", func(b *testing.B) { benchMemcpy(b, false) })
	b.Run("memcpy-256k/1048576", func(b *testing.B) { benchMemcpy(b, true) })
}

// benchChan64: the in-process baseline, a buffered channel of 64-byte
// values between two goroutines.
func benchChan64(b *testing.B) {
	ch := make(chan [64]byte, 1024)
	done := make(chan error)
	go func() {
		for i := range b.N {
			m := <-ch
			if err := checkStamp(m[:], uint64(i)); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	b.SetBytes(64)
	var m [64]byte
	for i := range b.N {
		stamp(m[:], uint64(i))
		ch <- m
	}
	if err := <-done; err != nil {
		b.Fatal(err)
	}
	reportRate(b)
}

func benchMemcpy(b *testing.B, chunked bool) {
	src, dst := make([]byte, 1<<20), make([]byte, 1<<20)
	for i := range src {
		src[i] = byte(i)
	}
	b.SetBytes(1 << 20)
	for range b.N {
		if chunked {
			for off := 0; off < len(src); off += 256 << 10 {
				copy(dst[off:off+256<<10], src[off:])
			}
		} else {
			copy(dst, src)
		}
	}
}

// latencies records every 8th round trip for p50/p99/max.
type latencies struct{ d []time.Duration }

func (l *latencies) report(b *testing.B) {
	if len(l.d) == 0 {
		return
	}
	slices.Sort(l.d)
	q := func(p float64) float64 { return float64(l.d[int(p*float64(len(l.d)-1))].Nanoseconds()) }
	b.ReportMetric(q(0.5), "p50-ns")
	b.ReportMetric(q(0.99), "p99-ns")
	b.ReportMetric(float64(l.d[len(l.d)-1].Nanoseconds()), "max-ns")
}

func benchPingPongSPSC(b *testing.B, size int, mode ring.Mode) {
	e := newBenchEnv(b, 2*(64<<10)+4096)
	opts := &ring.Options{Capacity: 64 << 10, Mode: mode}
	r1, err := ring.NewRing(e.seg, "ping", opts)
	if err != nil {
		b.Fatal(err)
	}
	r2, err := ring.NewRing(e.seg, "pong", opts)
	if err != nil {
		b.Fatal(err)
	}
	e.start(b, peerArg{Role: "spsc-echo", R: r1, R2: r2, N: b.N, Size: size, Mode: mode})
	ctx := ring.WithMode(context.Background(), mode)
	msg, buf := make([]byte, size), make([]byte, size)
	var lat latencies
	e.run(b, func() error {
		for i := range b.N {
			stamp(msg, uint64(i))
			var t0 time.Time
			if i&7 == 0 {
				t0 = time.Now()
			}
			if err := r1.Write(ctx, msg); err != nil {
				return err
			}
			n, err := r2.Read(ctx, buf)
			if err != nil {
				return err
			}
			if i&7 == 0 {
				lat.d = append(lat.d, time.Since(t0))
			}
			if err := checkStamp(buf[:n], uint64(i)); err != nil {
				return err
			}
		}
		return nil
	})
	lat.report(b)
}

func benchPingPongPipe(b *testing.B, size int) {
	e := newBenchEnv(b, 4096)
	r1, w1, _, w1fd := rawPipe(b)
	r2, w2, r2fd, _ := rawPipe(b)
	defer func() { r1.Close(); w1.Close(); r2.Close(); w2.Close() }()
	e.start(b, peerArg{Role: "pipe-echo", N: b.N, Size: size}, r1, w2)
	msg, buf := make([]byte, size), make([]byte, size)
	var lat latencies
	e.run(b, func() error {
		for i := range b.N {
			stamp(msg, uint64(i))
			var t0 time.Time
			if i&7 == 0 {
				t0 = time.Now()
			}
			if _, err := syscall.Write(w1fd, msg); err != nil {
				return err
			}
			if err := readFull(r2fd, buf); err != nil {
				return err
			}
			if i&7 == 0 {
				lat.d = append(lat.d, time.Since(t0))
			}
			if err := checkStamp(buf, uint64(i)); err != nil {
				return err
			}
		}
		return nil
	})
	lat.report(b)
}

// benchCacheLine: the floor, one shared word bounced between two spinning
// processes.
func benchCacheLine(b *testing.B) {
	e := newBenchEnv(b, 4096)
	o, err := e.seg.Alloc("word", 128, 128)
	if err != nil {
		b.Fatal(err)
	}
	w := (*atomic.Uint64)(unsafe.Pointer(&o.Bytes()[0]))
	e.start(b, peerArg{Role: "cacheline-echo", N: b.N, Shared: o.Handle()})
	var lat latencies
	e.run(b, func() error {
		for i := range uint64(b.N) {
			var t0 time.Time
			if i&7 == 0 {
				t0 = time.Now()
			}
			w.Store(2*i + 1)
			for w.Load() != 2*i+2 {
			}
			if i&7 == 0 {
				lat.d = append(lat.d, time.Since(t0))
			}
		}
		return nil
	})
	lat.report(b)
}

func BenchmarkPingPong(b *testing.B) {
	for _, size := range []int{8, 64} {
		b.Run(fmt.Sprintf("shm-spsc-spin/%d", size), func(b *testing.B) { benchPingPongSPSC(b, size, ring.Spin) })
		b.Run(fmt.Sprintf("shm-spsc-blocking/%d", size), func(b *testing.B) { benchPingPongSPSC(b, size, ring.Blocking) })
		b.Run(fmt.Sprintf("pipe-raw/%d", size), func(b *testing.B) { benchPingPongPipe(b, size) })
	}
	b.Run("cacheline/8", benchCacheLine)
}

func benchMPMC(b *testing.B, np, nc, size int) {
	e := newBenchEnv(b, 1<<20)
	q, err := ring.NewMPMC(e.seg, "q", &ring.Options{Capacity: 4096, SlotSize: 128})
	if err != nil {
		b.Fatal(err)
	}
	for i := range np {
		n := b.N / np
		if i < b.N%np {
			n++
		}
		e.start(b, peerArg{Role: "mpmc-put", Q: q, N: n, Size: size, Prod: i})
	}
	for i := range nc {
		n := b.N / nc
		if i < b.N%nc {
			n++
		}
		e.start(b, peerArg{Role: "mpmc-get", Q: q, N: n, Size: size})
	}
	b.SetBytes(int64(size))
	e.run(b, func() error { return nil })
	reportRate(b)
}

func BenchmarkMPMC(b *testing.B) {
	b.Run("shm-mpmc-2x2/64", func(b *testing.B) { benchMPMC(b, 2, 2, 64) })
	b.Run("shm-mpmc-1x1/64", func(b *testing.B) { benchMPMC(b, 1, 1, 64) })
}

// BenchmarkQueueInProcess: a typed Put and Get in one goroutine, the codec
// and bookkeeping cost without a peer.
func BenchmarkQueueInProcess(b *testing.B) {
	b.Run("int", func(b *testing.B) {
		seg := segtest.NewSize(b, 1<<20)
		q, err := ring.NewQueue[int](seg, "q", nil)
		if err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		b.ReportAllocs()
		for i := range b.N {
			if err := q.Put(ctx, i); err != nil {
				b.Fatal(err)
			}
			if v, err := q.Get(ctx); err != nil || v != i {
				b.Fatal(v, err)
			}
		}
	})
	b.Run("string", func(b *testing.B) {
		seg := segtest.NewSize(b, 1<<20)
		q, err := ring.NewQueue[string](seg, "q", nil)
		if err != nil {
			b.Fatal(err)
		}
		ctx := context.Background()
		b.ReportAllocs()
		for range b.N {
			if err := q.Put(ctx, "hello, world"); err != nil {
				b.Fatal(err)
			}
			if v, err := q.Get(ctx); err != nil || v != "hello, world" {
				b.Fatal(v, err)
			}
		}
	})
}
