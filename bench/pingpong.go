package bench

import (
	"context"
	"time"
)

// pingpong: the parent sends message 2i, the child checks it and answers
// with message 2i+1, which the parent checks; each round trip is timed on
// its own (checks and fills outside the parent's timed span, inside the
// child's turn). The first warmups(ops) round trips are not recorded.

func init() {
	roles["echo"] = echo
}

func warmups(ops int) int { return min(ops/4+1, 500) }

func pingpongCases(cfg Config) []Case {
	ops := 100000
	if cfg.Quick {
		ops = 20000
	}
	var out []Case
	for _, size := range sizesOr(cfg.Sizes, []int{8, 64}) {
		ops := min(ops, streamOps(size, cfg.Quick)) // large messages (--sizes 1M): a stream case's bytes
		for _, name := range linkTransports(func(t *transport) bool { return !t.inProcess || t.name == "go-chan" }) {
			t := transports[name]
			if t.maxSize > 0 && size > t.maxSize {
				continue
			}
			for _, m := range modesOf(t) {
				out = append(out, Case{Scenario: "pingpong", Transport: name, Mode: m, Size: size, Batch: 1, Ops: ops, Timeout: caseTimeout(cfg)})
			}
		}
		out = append(out, Case{Scenario: "pingpong", Transport: cpythonMP, Size: size, Batch: 1, Ops: ops / 2, Timeout: caseTimeout(cfg)})
	}
	return out
}

func runPingpong(ctx context.Context, c Case) Result {
	r := resultFor(c)
	if reason := skipReason(c); reason != "" {
		r.Note = "skipped: " + reason
		return r
	}
	s, err := newSession(ctx, c)
	if err != nil {
		return r.failed(err)
	}
	lat, perr := ping(s)
	if _, err := s.finish(perr); err != nil {
		return r.failed(err)
	}
	lat.fill(&r)
	return r
}

// ping is the parent's half: it owns end A.
func ping(s *session) (_ latencies, err error) {
	c := s.c
	s.spawn("echo", 0, 1)
	conn, err := s.conn(0)
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	if _, err := s.open(1); err != nil {
		return nil, err
	}
	out, in := make([]byte, c.Size), make([]byte, c.Size)
	unpin, err := pin(c.Pin, 0)
	if err != nil {
		return nil, err
	}
	defer unpinned(&err, unpin)
	w := warmups(c.Ops)
	lat := make(latencies, 0, c.Ops)
	for i := range w + c.Ops {
		fill(out, uint64(2*i))
		if c.hooks.Corrupt == i+1 {
			flip(out)
		}
		t := time.Now()
		if err := conn.Send(out); err != nil {
			return nil, s.reason(err)
		}
		if err := conn.Recv(in); err != nil {
			return nil, s.reason(err)
		}
		d := time.Since(t)
		if err := check(in, uint64(2*i+1)); err != nil {
			return nil, err
		}
		if i >= w {
			lat = append(lat, d)
		}
	}
	return lat, nil
}

// echo is the child's half: it owns end B.
func echo(ctx context.Context, e *peerEnv) (_ peerOut, err error) {
	c := e.Case
	unpin, err := pin(c.Pin, 1)
	if err != nil {
		return peerOut{}, err
	}
	defer unpinned(&err, unpin)
	if err := e.ctl.arrive(ctx); err != nil {
		return peerOut{}, err
	}
	buf := make([]byte, c.Size)
	if c.hooks.Hang {
		<-ctx.Done() // a child's context never ends: it waits to be killed
		return peerOut{}, ctx.Err()
	}
	n := warmups(c.Ops) + c.Ops
	for i := range n {
		if err := e.Conn.Recv(buf); err != nil {
			return peerOut{}, err
		}
		if err := check(buf, uint64(2*i)); err != nil {
			return peerOut{}, err
		}
		fill(buf, uint64(2*i+1))
		if err := e.Conn.Send(buf); err != nil {
			return peerOut{}, err
		}
	}
	return peerOut{Count: n}, nil
}
