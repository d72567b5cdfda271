package bench

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"strconv"
	"sync"
	"time"

	"github.com/shmkit/shmkit/manager"
	"github.com/shmkit/shmkit/process"
	"golang.org/x/sync/errgroup"
)

// dict: a manager dict of 1024 keys with 64-byte values, used by 2 worker
// processes at once, Ops/2 operations each. Transport "shm-dict" is the
// LocalDict in shared memory; "tcp-dict" is the same dict served by the
// parent (Manager.Serve) over loopback TCP, each worker with its own
// authenticated connection (Dial), one request at a time as CPython's
// proxies make them; "tcp-dict16" is that with 16 goroutines per worker
// sharing its connection, which the Client pipelines. "tcp-bare" is what
// tcp-dict cannot beat: the same two workers, one request at a time, each
// on its own plain TCP connection to the parent (no handshake, no
// protocol), whose goroutine reads each request and answers it; the
// request and the reply have the sizes of tcp-dict's frames in that mode
// (dictBareSizes). CPython's side: Manager().dict() used from 2 child
// processes.
//
// Checks: every value is a pattern message (pattern.go). The keys are
// split among the lanes (a worker, or each goroutine of a tcp-dict16
// worker), each visiting its own keys in a stride. Mode "get": each read
// value must be exactly the one the parent stored under its key. Mode
// "set": lane l writes message dictSeq(l, i) at its i-th operation;
// afterwards the parent checks every key holds exactly the last message
// written to it. tcp-bare: lane l's i-th request is message dictSeq(l, i),
// checked whole by the parent, whose reply is the same message number at
// the reply's size, checked whole by the lane.

const (
	dictProcs     = 2
	dictKeys      = 1024
	dictValue     = 64
	dictSet       = 1 << 40 // set messages' sequence numbers: dictSet | lane<<32 | i
	dictPipelined = 16      // goroutines per worker in tcp-dict16
)

var dictScenario = Scenario{
	Name:       "dict",
	Doc:        "manager dict get or set of 64-byte values from 2 processes: in shared memory, or over loopback TCP",
	Kind:       Throughput,
	Baselines:  []string{cpythonMP},
	BaselineOf: sameMode,
	RatioDoc:   "its operations/s over CPython's Manager().dict() from 2 processes, same operation; higher is better",
	Transports: []string{"shm-dict", "tcp-dict", "tcp-dict16", "tcp-bare", natsKV, cpythonMP},
	Cases:      dictCases,
	Run:        runDict,
}

func dictCases(cfg Config) []Case {
	local, remote, py := 10_000_000, 200_000, 50_000
	if cfg.Quick {
		local, remote, py = 2_000_000, 40_000, 10_000
	}
	var out []Case
	for _, m := range []string{"get", "set"} {
		out = append(out,
			Case{Scenario: "dict", Transport: "shm-dict", Mode: m, Ops: local, Timeout: caseTimeout(cfg)},
			Case{Scenario: "dict", Transport: "tcp-dict", Mode: m, Ops: remote, Timeout: caseTimeout(cfg)},
			Case{Scenario: "dict", Transport: "tcp-dict16", Mode: m, Ops: 4 * remote, Timeout: caseTimeout(cfg)},
			Case{Scenario: "dict", Transport: "tcp-bare", Mode: m, Ops: remote, Timeout: caseTimeout(cfg)},
			Case{Scenario: "dict", Transport: natsKV, Mode: m, Ops: remote / 2, Timeout: caseTimeout(cfg)},
			Case{Scenario: "dict", Transport: cpythonMP, Mode: m, Ops: py, Timeout: caseTimeout(cfg)})
	}
	return out
}

// dictKey is the key index of lane l's i-th operation, of lanes in all:
// the lane's own share of the keys, in a stride that visits all of them.
func dictKey(l, lanes, i int) int {
	per := dictKeys / lanes
	return l*per + (i*7)%per
}

func dictSeq(l, i int) uint64 { return dictSet | uint64(l)<<32 | uint64(i) }

func dictKeyName(k int) string { return "key" + strconv.Itoa(k) }

type dictArg struct {
	D          *manager.LocalDict // shm-dict
	Addr       string             // tcp-dict, tcp-bare
	AuthKey    []byte
	Bare       bool // tcp-bare
	Ctl        []byte
	Set        bool
	W, N       int // worker index, its operations
	Goroutines int // lanes per worker
	Corrupt    bool
	Hang       bool // test hook: never finish
}

var dictTask = process.Register("shmkit/bench.dict", func(ctx context.Context, a dictArg) (int, error) {
	if a.Bare {
		return a.N, dictBareWorker(ctx, a)
	}
	var d manager.Dict = a.D
	if a.Addr != "" {
		c, err := manager.Dial(ctx, a.Addr, a.AuthKey)
		if err != nil {
			return 0, err
		}
		defer c.Close()
		if d, err = c.Dict(ctx, "bench", nil); err != nil {
			return 0, err
		}
	}
	keys := make([]string, dictKeys)
	for k := range keys {
		keys[k] = dictKeyName(k)
	}
	g := max(a.Goroutines, 1)
	finish, err := crewJoin(ctx, a.Ctl, a.Hang)
	if err != nil {
		return 0, err
	}
	lanes, lctx := errgroup.WithContext(ctx)
	for j := range g {
		lanes.Go(func() error { return dictLoop(lctx, d, a, keys, a.W*g+j, dictProcs*g, splitOps(a.N, g, j)) })
	}
	if err := lanes.Wait(); err != nil {
		return 0, err
	}
	if err := finish(); err != nil {
		return 0, err
	}
	return a.N, nil
})

// dictLoop runs lane's n operations.
func dictLoop(ctx context.Context, d manager.Dict, a dictArg, keys []string, lane, lanes, n int) error {
	buf := make([]byte, dictValue)
	ld, local := d.(*manager.LocalDict)
	for i := range n {
		k := dictKey(lane, lanes, i)
		if a.Set {
			fill(buf, dictSeq(lane, i))
			if a.Corrupt && lane == 0 && i == n-1 {
				flip(buf) // the last write to its key: the check must see it
			}
			if err := d.Set(ctx, keys[k], buf); err != nil {
				return err
			}
			continue
		}
		var v []byte
		var ok bool
		var err error
		if local {
			buf, ok, err = ld.GetAppend(ctx, keys[k], buf[:0])
			v = buf
		} else {
			v, ok, err = d.Get(ctx, keys[k])
		}
		if err != nil {
			return err
		}
		if !ok || len(v) != dictValue {
			return fmt.Errorf("get %s: found %v, %d bytes: %w", keys[k], ok, len(v), ErrCorrupt)
		}
		if err := check(v, uint64(k)); err != nil {
			return fmt.Errorf("get %s: %w", keys[k], err)
		}
	}
	return nil
}

func runDict(ctx context.Context, c Case) Result {
	c.Ops = max(c.Ops, dictProcs)
	r := resultFor(c)
	if c.Mode != "get" && c.Mode != "set" {
		return r.failed(fmt.Errorf("unknown mode %q", c.Mode))
	}
	ctl, release, err := crewCtl()
	if err != nil {
		return r.failed(err)
	}
	defer release()
	m, err := manager.New(&manager.Options{Size: 16 << 20})
	if err != nil {
		return r.failed(err)
	}
	defer m.Close()
	d, err := m.Dict("bench", &manager.DictOptions{Entries: 2 * dictKeys})
	if err != nil {
		return r.failed(err)
	}
	g := 1
	if c.Transport == "tcp-dict16" {
		g = dictPipelined
		c.Ops = max(c.Ops, dictProcs*g)
		r.Ops = c.Ops
		r.Note = fmt.Sprintf("%d goroutines per process, one pipelined connection", g)
	}
	val := make([]byte, dictValue)
	for k := range dictKeys {
		fill(val, uint64(k))
		if c.Mode == "get" && c.hooks.Corrupt > 0 && k == dictKey(0, dictProcs*g, 0) {
			flip(val) // the first read of lane 0
		}
		if err := d.Set(ctx, dictKeyName(k), val); err != nil {
			return r.failed(err)
		}
	}
	args := make([]dictArg, dictProcs)
	for w := range args {
		args[w] = dictArg{D: d, Ctl: ctl.handle(), Set: c.Mode == "set", W: w, N: splitOps(c.Ops, dictProcs, w), Goroutines: g}
	}
	args[0].Corrupt = c.Mode == "set" && c.hooks.Corrupt > 0
	args[1].Hang = c.hooks.Hang
	if c.Transport == "tcp-bare" {
		srv, err := startBare(c)
		if err != nil {
			return r.failed(err)
		}
		for w := range args {
			args[w].D, args[w].Addr, args[w].Bare = nil, srv.ln.Addr().String(), true
		}
		var dur time.Duration
		dur, _, err = runCrew(ctx, c, ctl, dictTask, args)
		if err := errors.Join(err, srv.stop()); err != nil {
			return r.failed(err)
		}
		req, rep := dictBareSizes(c.Mode)
		r.Note = fmt.Sprintf("requests of %d B, replies of %d B: tcp-dict's %s frames", req, rep, c.Mode)
		throughput(&r, c.Ops, 0, dur)
		return r
	}
	if c.Transport != "shm-dict" {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return r.failed(err)
		}
		key := make([]byte, 32)
		rand.Read(key)
		sctx, stop := context.WithCancel(ctx)
		served := make(chan error, 1)
		go func() { served <- m.Serve(sctx, ln, key) }()
		defer func() { stop(); <-served }()
		for w := range args {
			args[w].D, args[w].Addr, args[w].AuthKey = nil, ln.Addr().String(), key
		}
	}
	var dur time.Duration
	if dur, _, err = runCrew(ctx, c, ctl, dictTask, args); err != nil {
		return r.failed(err)
	}
	if c.Mode == "set" {
		if err := checkDictSets(ctx, d, args); err != nil {
			return r.failed(err)
		}
	}
	throughput(&r, c.Ops, 0, dur)
	return r
}

// checkDictSets checks every key holds the last value written to it (or
// the parent's, where no worker wrote it).
func checkDictSets(ctx context.Context, d manager.Dict, args []dictArg) error {
	want := make([]uint64, dictKeys)
	for k := range want {
		want[k] = uint64(k)
	}
	for _, a := range args {
		g := max(a.Goroutines, 1)
		for j := range g {
			lane := a.W*g + j
			for i := range splitOps(a.N, g, j) {
				want[dictKey(lane, dictProcs*g, i)] = dictSeq(lane, i)
			}
		}
	}
	for k, seq := range want {
		v, ok, err := d.Get(ctx, dictKeyName(k))
		if err != nil {
			return err
		}
		if !ok || len(v) != dictValue {
			return fmt.Errorf("%s: found %v, %d bytes: %w", dictKeyName(k), ok, len(v), ErrCorrupt)
		}
		if err := check(v, seq); err != nil {
			return fmt.Errorf("%s after the sets: %w", dictKeyName(k), err)
		}
	}
	return nil
}

// dictBareSizes are tcp-bare's request and reply sizes in mode m: those of
// tcp-dict's frames for a 6-byte key (key100 to key999, most keys): a
// frame is a 4-byte length, an op or status byte and a 2-byte field
// count, then each field with a 4-byte length. A Get sends the dict's
// name ("bench") and the key, and gets the 64-byte value back; a Set sends
// name, key and value, and gets an empty reply (7 bytes, here 8: a pattern
// message's least).
func dictBareSizes(m string) (req, rep int) {
	const get = 7 + 4 + len("bench") + 4 + 6
	if m == "set" {
		return get + 4 + dictValue, MinSize
	}
	return get, 7 + 4 + dictValue
}

// dictBareWorker is a tcp-bare lane: request dictSeq(lane, i), wait for
// its reply, check it, n times.
func dictBareWorker(ctx context.Context, a dictArg) error {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", a.Addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	stop := context.AfterFunc(ctx, func() { conn.Close() })
	defer stop()
	mode := "get"
	if a.Set {
		mode = "set"
	}
	reqSize, repSize := dictBareSizes(mode)
	req, rep := make([]byte, reqSize), make([]byte, repSize)
	finish, err := crewJoin(ctx, a.Ctl, a.Hang)
	if err != nil {
		return err
	}
	for i := range a.N {
		seq := dictSeq(a.W, i)
		fill(req, seq)
		if _, err := conn.Write(req); err != nil {
			return err
		}
		if _, err := io.ReadFull(conn, rep); err != nil {
			return fmt.Errorf("reply %d: %w", i, err)
		}
		if err := check(rep, seq); err != nil {
			return fmt.Errorf("reply %d: %w", i, err)
		}
	}
	return finish()
}

// bareServer is tcp-bare's parent side: a goroutine per connection that
// reads a request, checks it and writes its reply.
type bareServer struct {
	ln     net.Listener
	wg     sync.WaitGroup
	mu     sync.Mutex
	conns  []net.Conn
	closed bool
	err    error
}

func startBare(c Case) (*bareServer, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s := &bareServer{ln: ln}
	reqSize, repSize := dictBareSizes(c.Mode)
	// The test hook: the reply to lane 0's request number Corrupt-1.
	corrupt := c.hooks.Corrupt > 0
	bad := dictSeq(0, c.hooks.Corrupt-1)
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			conn, err := ln.Accept()
			if err != nil {
				return // closed by stop
			}
			s.mu.Lock()
			s.conns = append(s.conns, conn)
			if s.closed {
				conn.Close() // accepted as stop ran
			}
			s.mu.Unlock()
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				if err := serveBare(conn, reqSize, repSize, corrupt, bad); err != nil {
					s.mu.Lock()
					s.err = errors.Join(s.err, err)
					s.mu.Unlock()
				}
			}()
		}
	}()
	return s, nil
}

// serveBare answers one connection's requests until it closes.
func serveBare(conn net.Conn, reqSize, repSize int, corrupt bool, bad uint64) error {
	req, rep := make([]byte, reqSize), make([]byte, repSize)
	for {
		if _, err := io.ReadFull(conn, req); err != nil {
			if err == io.EOF || errors.Is(err, net.ErrClosed) {
				return nil
			}
			return fmt.Errorf("tcp-bare server: %w", err)
		}
		seq, err := checkAny(req)
		if err != nil {
			return fmt.Errorf("tcp-bare request: %w", err)
		}
		fill(rep, seq)
		if corrupt && seq == bad {
			flip(rep)
		}
		if _, err := conn.Write(rep); err != nil {
			return nil // the worker has gone: its own error tells why
		}
	}
}

// stop closes the listener and every connection, waits for the
// goroutines, and returns what the requests' checks found.
func (s *bareServer) stop() error {
	s.ln.Close()
	s.mu.Lock()
	s.closed = true
	for _, c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return s.err
}
