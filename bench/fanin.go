package bench

import (
	"context"
	"fmt"
	"time"
)

// fanin: two producer processes and two consumer processes share one
// channel (a pipe, a socket, an MPMC queue). Producer p sends messages
// numbered p<<40 | i for i < Ops/2, then one stop message; a consumer
// checks every message it takes and marks it in a bitmap, and stops at the
// first stop message it sees. There are as many stop messages as
// consumers, each sent after its producer's data, so in a FIFO channel every
// data message is taken before the last stop. The parent only starts the
// clock, waits for both consumers to finish, and then proves from the
// bitmaps that every message arrived exactly once.

const (
	faninProducers = 2
	faninConsumers = 2
	stopProducer   = 0xffff
	producerShift  = 40
)

func init() {
	roles["produce"] = produce
	roles["consume"] = consume
}

func faninCases(cfg Config) []Case {
	var out []Case
	for _, size := range sizesOr(cfg.Sizes, []int{64}) {
		// As many bytes as a stream case moves: 200 000 messages of
		// 1 MiB (--sizes 1M) did not end within any case's bound.
		ops := streamOps(size, cfg.Quick)
		for _, name := range linkTransports(func(t *transport) bool { return t.fanin }) {
			t := transports[name]
			if t.maxSize > 0 && size > t.maxSize {
				continue
			}
			for _, m := range modesOf(t) {
				out = append(out, Case{Scenario: "fanin", Transport: name, Mode: m, Size: size, Batch: 1, Ops: ops, Timeout: caseTimeout(cfg)})
			}
		}
		out = append(out, Case{Scenario: "fanin", Transport: cpythonMP, Size: size, Batch: 1, Ops: ops / 4, Timeout: caseTimeout(cfg)})
	}
	return out
}

func runFanin(ctx context.Context, c Case) Result {
	c.Ops = (max(c.Ops, faninProducers) + faninProducers - 1) / faninProducers * faninProducers
	c.Batch = 1
	r := resultFor(c)
	if reason := skipReason(c); reason != "" {
		r.Note = "skipped: " + reason
		return r
	}
	s, err := newSession(ctx, c)
	if err != nil {
		return r.failed(err)
	}
	for p := range faninProducers {
		s.spawn("produce", p, 0)
	}
	for q := range faninConsumers {
		s.spawn("consume", q, 1)
	}
	var d time.Duration
	t0, perr := s.open(faninProducers + faninConsumers)
	if perr == nil {
		var t1 time.Time
		t1, perr = s.waitDone(faninConsumers)
		d = t1.Sub(t0)
	}
	outs, err := s.finish(perr)
	if err == nil {
		err = exactlyOnce(outs, c.Ops/faninProducers)
	}
	if err != nil {
		return r.failed(err)
	}
	throughput(&r, c.Ops, c.Size, d)
	return r
}

func produce(ctx context.Context, e *peerEnv) (peerOut, error) {
	c := e.Case
	buf := make([]byte, c.Size)
	per := c.Ops / faninProducers
	if err := e.ctl.arrive(ctx); err != nil {
		return peerOut{}, err
	}
	for i := range per {
		fill(buf, uint64(e.Index)<<producerShift|uint64(i))
		if c.hooks.Corrupt == e.Index*per+i+1 {
			flip(buf)
		}
		if err := e.Conn.Send(buf); err != nil {
			return peerOut{}, err
		}
	}
	fill(buf, stopProducer<<producerShift|uint64(e.Index))
	return peerOut{Count: per}, e.Conn.Send(buf)
}

func consume(ctx context.Context, e *peerEnv) (peerOut, error) {
	c := e.Case
	buf := make([]byte, c.Size)
	per := c.Ops / faninProducers
	out := peerOut{Seen: make([][]byte, faninProducers)}
	for p := range out.Seen {
		out.Seen[p] = make([]byte, (per+7)/8)
	}
	if err := e.ctl.arrive(ctx); err != nil {
		return peerOut{}, err
	}
	for {
		if err := e.Conn.Recv(buf); err != nil {
			return peerOut{}, err
		}
		seq, err := checkAny(buf)
		if err != nil {
			return peerOut{}, err
		}
		p, i := seq>>producerShift, seq&(1<<producerShift-1)
		if p == stopProducer {
			break
		}
		if p >= faninProducers || i >= uint64(per) {
			return peerOut{}, fmt.Errorf("message %#x from no producer: %w", seq, ErrCorrupt)
		}
		if out.Seen[p][i/8]&(1<<(i%8)) != 0 {
			return peerOut{}, fmt.Errorf("message %d of producer %d taken twice", i, p)
		}
		out.Seen[p][i/8] |= 1 << (i % 8)
		out.Count++
	}
	if err := e.ctl.finish(); err != nil {
		return peerOut{}, err
	}
	return out, nil
}

// exactlyOnce checks that the consumers' bitmaps cover every message of
// every producer and overlap nowhere.
func exactlyOnce(outs []peerOut, per int) error {
	total := 0
	for p := range faninProducers {
		all := make([]byte, (per+7)/8)
		for _, o := range outs {
			if len(o.Seen) == 0 {
				continue
			}
			for k, b := range o.Seen[p] {
				if all[k]&b != 0 {
					return fmt.Errorf("a message of producer %d reached both consumers", p)
				}
				all[k] |= b
			}
		}
		for i := range per {
			if all[i/8]&(1<<(i%8)) == 0 {
				return fmt.Errorf("message %d of producer %d never arrived", i, p)
			}
		}
	}
	for _, o := range outs {
		total += o.Count
	}
	if want := per*faninProducers + per*faninProducers; total != want {
		return fmt.Errorf("counted %d messages sent and received, want %d", total, want)
	}
	return nil
}
