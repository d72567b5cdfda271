package manager

import (
	"context"
	"fmt"
	"net"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shmkit/shmkit/process"
)

// The dict scenario: get and set of 64-byte values over 1024 keys from 2
// processes at once, locally (in shared memory), remotely (a Server in the
// parent, each child with its own TCP connection over loopback), and with
// CPython's Manager().dict() doing the same from 2 child processes. Each
// child waits at a barrier, times its own loop and returns the time; a
// run's rate is all operations over the slowest child's time.

const (
	benchKeys  = 1024
	benchValue = 64
	benchProcs = 2
)

type benchArg struct {
	D          *LocalDict // local
	Addr       string     // remote
	Set        bool
	N, ID, All int
	Goroutines int // > 1: the ops split among that many goroutines sharing d
}

func benchKey(i int) string { return "key" + strconv.Itoa(i%benchKeys) }

var benchChild = process.Register("manager.bench", func(ctx context.Context, a benchArg) (time.Duration, error) {
	var d Dict = a.D
	if a.Addr != "" {
		c, err := Dial(ctx, a.Addr, testKey)
		if err != nil {
			return 0, err
		}
		defer c.Close()
		if d, err = c.Dict(ctx, "bench", nil); err != nil {
			return 0, err
		}
	}
	keys := make([]string, benchKeys)
	for i := range keys {
		keys[i] = benchKey(i)
	}
	// Barrier: count in, wait for everyone.
	if err := d.Update(ctx, "ready", func(old []byte, _ bool) ([]byte, bool) {
		n, _ := strconv.Atoi(string(old))
		return []byte(strconv.Itoa(n + 1)), true
	}); err != nil {
		return 0, err
	}
	for {
		v, _, err := d.Get(ctx, "ready")
		if err != nil {
			return 0, err
		}
		if string(v) == strconv.Itoa(a.All) {
			break
		}
		time.Sleep(100 * time.Microsecond)
	}
	g := max(a.Goroutines, 1)
	errs := make(chan error, g)
	start := time.Now()
	for w := range g {
		go func() { errs <- benchLoop(ctx, d, a, keys, w, a.N/g) }()
	}
	for range g {
		if err := <-errs; err != nil {
			return 0, err
		}
	}
	return time.Since(start), nil
})

func benchLoop(ctx context.Context, d Dict, a benchArg, keys []string, w, n int) error {
	val := make([]byte, benchValue)
	var buf []byte
	ld, local := d.(*LocalDict)
	for i := range n {
		k := keys[(i*7+a.ID*511+w*131)%benchKeys]
		var err error
		switch {
		case a.Set:
			val[0] = byte(i)
			err = d.Set(ctx, k, val)
		case local:
			var ok bool
			buf, ok, err = ld.GetAppend(ctx, k, buf[:0])
			if !ok || len(buf) != benchValue {
				err = fmt.Errorf("Get %s: %v %d bytes", k, ok, len(buf))
			}
		default:
			var v []byte
			var ok bool
			v, ok, err = d.Get(ctx, k)
			if !ok || len(v) != benchValue {
				err = fmt.Errorf("Get %s: %v %d bytes", k, ok, len(v))
			}
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// runDict runs n operations per process and returns the aggregate rate.
func runDict(tb testing.TB, mode string, set bool, n int) float64 {
	ctx := testCtx(tb)
	m, err := New(&Options{Size: 16 << 20})
	if err != nil {
		tb.Fatal(err)
	}
	defer m.Close()
	d, err := m.Dict("bench", &DictOptions{Entries: 2 * benchKeys})
	if err != nil {
		tb.Fatal(err)
	}
	for i := range benchKeys {
		d.Set(ctx, benchKey(i), make([]byte, benchValue))
	}
	arg := benchArg{D: d, Set: set, N: n, All: benchProcs}
	if mode == "remote-pipelined" {
		arg.Goroutines = 16
		arg.N = n / 16 * 16
		n = arg.N
	}
	if strings.HasPrefix(mode, "remote") || mode == "unix" {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if mode == "unix" {
			ln, err = net.Listen("unix", filepath.Join(tb.TempDir(), "m.sock"))
		}
		if err != nil {
			tb.Fatal(err)
		}
		sctx, cancel := context.WithCancel(ctx)
		done := make(chan error, 1)
		go func() { done <- m.Serve(sctx, ln, testKey) }()
		defer func() { cancel(); <-done }()
		arg.D, arg.Addr = nil, ln.Addr().String()
		if mode == "unix" {
			arg.Addr = "unix:" + arg.Addr
		}
	}
	type result struct {
		d   time.Duration
		err error
	}
	res := make(chan result, benchProcs)
	for id := range benchProcs {
		arg.ID = id
		go func(a benchArg) {
			d, err := process.Run(ctx, benchChild, a)
			res <- result{d, err}
		}(arg)
	}
	var slowest time.Duration
	for range benchProcs {
		r := <-res
		if r.err != nil {
			tb.Fatal(r.err)
		}
		slowest = max(slowest, r.d)
	}
	return float64(benchProcs*n) / slowest.Seconds()
}

// cpythonScript runs Manager().dict() gets or sets from 2 processes, the
// same way, and prints the aggregate rate.
const cpythonScript = `
import sys, time
from multiprocessing import Manager, Process, Barrier, Queue

def work(d, b, q, op, n, ident):
    keys = ["key%d" % i for i in range(1024)]
    val = bytes(64)
    b.wait()
    t = time.perf_counter()
    for i in range(n):
        k = keys[(i * 7 + ident * 511) % 1024]
        if op == "set":
            d[k] = val
        else:
            v = d[k]
            assert len(v) == 64
    q.put(time.perf_counter() - t)

if __name__ == "__main__":
    op, n = sys.argv[1], int(sys.argv[2])
    with Manager() as m:
        d = m.dict()
        for i in range(1024):
            d["key%d" % i] = bytes(64)
        b, q = Barrier(2), Queue()
        ps = [Process(target=work, args=(d, b, q, op, n, i)) for i in range(2)]
        for p in ps: p.start()
        ts = [q.get() for _ in ps]
        for p in ps: p.join()
        print(2 * n / max(ts))
`

// runCPython returns CPython's aggregate rate, or 0 without python3.
func runCPython(tb testing.TB, set bool, n int) float64 {
	py, err := exec.LookPath("python3")
	if err != nil {
		return 0
	}
	op := "get"
	if set {
		op = "set"
	}
	out, err := exec.CommandContext(testCtx(tb), py, "-c", cpythonScript, op, strconv.Itoa(n)).CombinedOutput()
	if err != nil {
		tb.Fatalf("python3: %v\n%s", err, out)
	}
	r, err := strconv.ParseFloat(strings.TrimSpace(string(out)), 64)
	if err != nil {
		tb.Fatalf("python3 printed %q", out)
	}
	return r
}

// BenchmarkDict reports each transport's aggregate ops/s from 2 processes
// (b.N operations per process). The cpython runs are CPython's
// Manager().dict(); compare only numbers from one run.
func BenchmarkDict(b *testing.B) {
	for _, op := range []string{"get", "set"} {
		for _, mode := range []string{"local", "remote", "remote-pipelined", "unix", "cpython"} {
			b.Run(mode+"/"+op, func(b *testing.B) {
				var rate float64
				if mode == "cpython" {
					if rate = runCPython(b, op == "set", b.N); rate == 0 {
						b.Skip("no python3")
					}
				} else {
					rate = runDict(b, mode, op == "set", b.N)
				}
				b.ReportMetric(rate, "ops/s")
				b.ReportMetric(1e9/rate, "ns/op")
			})
		}
	}
}

// BenchmarkDictRatio runs every transport, interleaved, with fixed counts,
// best of three runs each (the machine is shared: the best run is the one
// least disturbed), and reports the ratios to CPython's Manager dict
// measured in the same run (the targets: local ≥ 100×, remote ≥ 3×).
// remote is one goroutine per process (one round trip at a time, as
// CPython's proxies do); remote16 is 16 goroutines per process sharing one
// pipelined Client; unix is remote over a Unix socket.
func BenchmarkDictRatio(b *testing.B) {
	if _, err := exec.LookPath("python3"); err != nil {
		b.Skip("no python3")
	}
	best := func(f func() float64) float64 {
		var r float64
		for range 3 {
			r = max(r, f())
		}
		return r
	}
	for range b.N {
		for _, op := range []string{"get", "set"} {
			set := op == "set"
			py := best(func() float64 { return runCPython(b, set, 20000) })
			rates := map[string]float64{}
			for _, c := range []struct {
				mode string
				n    int
			}{{"local", 2000000}, {"remote", 50000}, {"remote-pipelined", 400000}, {"unix", 50000}} {
				rates[c.mode] = best(func() float64 { return runDict(b, c.mode, set, c.n) })
			}
			b.ReportMetric(py, "cpython-"+op+"-ops/s")
			for mode, name := range map[string]string{"local": "local", "remote": "remote", "remote-pipelined": "remote16", "unix": "unix"} {
				b.ReportMetric(rates[mode], name+"-"+op+"-ops/s")
				b.ReportMetric(rates[mode]/py, name+"-"+op+"-x")
			}
		}
	}
}
