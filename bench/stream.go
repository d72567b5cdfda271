package bench

import (
	"context"
	"fmt"
	"time"
)

// stream: the parent sends Ops messages one way; the child reads and checks
// every one and then crosses the finish line. Time runs from the start
// signal to the parent seeing the child finish, so it covers the sender's
// writes, the transport, and the receiver's reads and checks. Batched
// cases send Batch messages per call (one write of Batch×Size bytes, a
// batched reserve/commit on a ring).

const streamBatch = 32

func init() {
	roles["sink"] = sink
}

// streamOps: enough messages to take a measurable time, fewer for big ones.
func streamOps(size int, quick bool) int {
	budget := 1 << 30 // bytes per case
	ops := 1000000
	if quick {
		budget, ops = 192<<20, 200000
	}
	return max(min(ops, budget/size), 16)
}

func streamCases(cfg Config) []Case {
	var out []Case
	for _, size := range sizesOr(cfg.Sizes, []int{64, 4 << 10, 64 << 10, 1 << 20}) {
		ops := streamOps(size, cfg.Quick)
		for _, name := range linkTransports(func(t *transport) bool { return !t.pingOnly }) {
			t := transports[name]
			if t.maxSize > 0 && size > t.maxSize {
				continue
			}
			modes := modesOf(t)
			if t.streamModes != nil {
				modes = t.streamModes
			}
			for _, m := range modes {
				out = append(out, Case{Scenario: "stream", Transport: name, Mode: m, Size: size, Batch: 1, Ops: ops, Timeout: caseTimeout(cfg)})
				if t.batch && size <= 4<<10 && (t.streamModes == nil || zeroCopy(m)) {
					out = append(out, Case{Scenario: "stream", Transport: name, Mode: m, Size: size, Batch: streamBatch, Ops: ops, Timeout: caseTimeout(cfg)})
				}
			}
		}
		out = append(out, Case{Scenario: "stream", Transport: cpythonMP, Size: size, Batch: 1, Ops: max(ops/4, 16), Timeout: caseTimeout(cfg)})
	}
	return out
}

func runStream(ctx context.Context, c Case) Result {
	c.Batch = max(c.Batch, 1)
	c.Ops = (max(c.Ops, 1) + c.Batch - 1) / c.Batch * c.Batch
	r := resultFor(c)
	if reason := skipReason(c); reason != "" {
		r.Note = "skipped: " + reason
		return r
	}
	s, err := newSession(ctx, c)
	if err != nil {
		return r.failed(err)
	}
	d, perr := source(s)
	if _, err := s.finish(perr); err != nil {
		return r.failed(err)
	}
	throughput(&r, c.Ops, c.Size, d)
	return r
}

// source is the parent's half: it sends on end A.
func source(s *session) (_ time.Duration, err error) {
	c := s.c
	s.spawn("sink", 0, 1)
	conn, err := s.conn(0)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	buf := make([]byte, c.Size*c.Batch)
	unpin, err := pin(c.Pin, 0)
	if err != nil {
		return 0, err
	}
	defer unpinned(&err, unpin)
	t0, err := s.open(1)
	if err != nil {
		return 0, err
	}
	zc, _ := conn.(lender)
	for i := 0; i < c.Ops; i += c.Batch {
		if zc != nil && zeroCopy(c.Mode) {
			err = zc.SendSeq(c.Batch, c.Size, uint64(i), c.hooks.Corrupt-1-i)
		} else {
			for j := range c.Batch {
				m := buf[j*c.Size : (j+1)*c.Size]
				fill(m, uint64(i+j))
				if c.hooks.Corrupt == i+j+1 {
					flip(m)
				}
			}
			err = conn.Send(buf)
		}
		if err != nil {
			return 0, s.reason(err)
		}
	}
	t1, err := s.waitDone(1)
	if err != nil {
		return 0, err
	}
	return t1.Sub(t0), nil
}

// sink is the child's half: it receives and checks on end B.
func sink(ctx context.Context, e *peerEnv) (_ peerOut, err error) {
	c := e.Case
	if c.Size < MinSize || c.Batch < 1 {
		return peerOut{}, fmt.Errorf("bad case %s", c.Label())
	}
	buf := make([]byte, c.Size*c.Batch)
	unpin, err := pin(c.Pin, 1)
	if err != nil {
		return peerOut{}, err
	}
	defer unpinned(&err, unpin)
	if err := e.ctl.arrive(ctx); err != nil {
		return peerOut{}, err
	}
	if c.hooks.Hang {
		<-ctx.Done() // a child's context never ends: it waits to be killed
		return peerOut{}, ctx.Err()
	}
	zc, _ := e.Conn.(lender)
	for i := 0; i < c.Ops; i += c.Batch {
		if zc != nil && zeroCopy(c.Mode) {
			err := zc.RecvSeq(c.Batch, c.Size, uint64(i))
			if err != nil {
				return peerOut{}, err
			}
			continue
		}
		if err := e.Conn.Recv(buf); err != nil {
			return peerOut{}, err
		}
		for j := range c.Batch {
			if err := check(buf[j*c.Size:(j+1)*c.Size], uint64(i+j)); err != nil {
				return peerOut{}, err
			}
		}
	}
	if err := e.ctl.finish(); err != nil {
		return peerOut{}, err
	}
	return peerOut{Count: c.Ops}, nil
}
