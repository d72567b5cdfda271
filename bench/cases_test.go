package bench

import (
	"context"
	"strings"
	"testing"
	"time"
)

// tinyCases returns every case of s, cut to a few operations.
func tinyCases(s *Scenario) []Case {
	var out []Case
	for _, c := range s.Cases(Config{Quick: true}) {
		c.Ops = min(c.Ops, 64)
		if c.Size >= 64<<10 {
			c.Ops = 8
		}
		c.Timeout = 60 * time.Second
		out = append(out, c)
	}
	return out
}

// TestEveryCase runs each scenario over each transport once, at every size
// with a few messages, across processes, and checks the figures exist.
func TestEveryCase(t *testing.T) {
	for _, s := range Scenarios() {
		for _, c := range tinyCases(s) {
			t.Run(s.Name+"/"+c.Label(), func(t *testing.T) {
				r := RunCase(context.Background(), c)
				if strings.HasPrefix(r.Note, "skipped:") {
					t.Skip(r.Note)
				}
				if r.Failed {
					t.Fatalf("%s: %s", c.Label(), r.Note)
				}
				if r.Ops <= 0 || r.NsPerOp <= 0 || r.MsgsPerS <= 0 {
					t.Fatalf("%s: missing figures: %+v", c.Label(), r)
				}
				if s.Kind == Latency && (r.P50Ns <= 0 || r.P99Ns < r.P50Ns || r.MaxNs < r.P99Ns) {
					t.Fatalf("%s: bad percentiles: %+v", c.Label(), r)
				}
				if s.Kind == Throughput && c.Size > 0 && r.BytesPerS <= 0 {
					t.Fatalf("%s: no bytes/s: %+v", c.Label(), r)
				}
			})
		}
	}
}

// corruptionCaught reports whether note tells of a failed payload check
// (Go's ErrCorrupt, or the CPython script's words for it), or of a failed
// exact count or result (the scenarios without messages).
func corruptionCaught(note string) bool {
	for _, s := range []string{ErrCorrupt.Error(), "payload differs", "wrong sequence", "wrong count", "wrong result"} {
		if strings.Contains(note, s) {
			return true
		}
	}
	return false
}

// TestCorruptionCaught flips one byte of one message, through the
// hooks.Corrupt test hook, in every scenario over every transport, and checks the run fails
// its payload check instead of reporting figures.
func TestCorruptionCaught(t *testing.T) {
	for _, s := range Scenarios() {
		seen := map[string]bool{}
		for _, c := range tinyCases(s) {
			if seen[c.TransportLabel()] || c.Size > 4096 {
				continue // one size per transport and mode is enough
			}
			seen[c.TransportLabel()] = true
			c.hooks.Corrupt = 3
			t.Run(s.Name+"/"+c.Label(), func(t *testing.T) {
				r := RunCase(context.Background(), c)
				if strings.HasPrefix(r.Note, "skipped:") {
					t.Skip(r.Note)
				}
				if !r.Failed || !corruptionCaught(r.Note) {
					t.Fatalf("flipped byte not caught: failed=%v note=%q", r.Failed, r.Note)
				}
				if r.NsPerOp != 0 || r.MsgsPerS != 0 || r.P50Ns != 0 {
					t.Fatalf("a failed case reports figures: %+v", r)
				}
			})
		}
	}
}

// TestCheckCatchesEveryByte flips each byte of a message in turn.
func TestCheckCatchesEveryByte(t *testing.T) {
	for _, size := range []int{8, 9, 64, 4096} {
		p := make([]byte, size)
		fill(p, 12345)
		if err := check(p, 12345); err != nil {
			t.Fatalf("size %d: clean message fails: %v", size, err)
		}
		if err := check(p, 12346); err == nil {
			t.Fatalf("size %d: message passes as the next one", size)
		}
		for i := range p {
			p[i] ^= 1
			if err := check(p, 12345); err == nil {
				t.Fatalf("size %d: flipped byte %d not caught", size, i)
			}
			p[i] ^= 1
		}
	}
	a, b := make([]byte, 64), make([]byte, 64)
	fill(a, 1)
	fill(b, 2)
	if string(a[8:]) == string(b[8:]) {
		t.Fatal("consecutive messages carry the same payload")
	}
}

// TestHungPeerKilled: a child that stops answering is killed at the case's
// bound and the result says so.
func TestHungPeerKilled(t *testing.T) {
	for _, k := range []struct{ sc, tr string }{{"pingpong", "pipe-raw"}, {"stream", "shm-spsc"}, {"pingpong", "go-chan"}} {
		sc, tr := k.sc, k.tr
		{
			t.Run(sc+"/"+tr, func(t *testing.T) {
				c := Case{Scenario: sc, Transport: tr, Size: 64, Batch: 1, Ops: 100, Timeout: 1500 * time.Millisecond}
				c.hooks.Hang = true
				if tr == "shm-spsc" {
					c.Mode = "blocking"
				}
				start := time.Now()
				r := RunCase(context.Background(), c)
				if !r.Failed || !strings.Contains(r.Note, "hung") || !strings.Contains(r.Note, "killed") {
					t.Fatalf("hang not reported: failed=%v note=%q", r.Failed, r.Note)
				}
				if d := time.Since(start); d > 30*time.Second {
					t.Fatalf("hung case took %v to end", d)
				}
			})
		}
	}
}

// TestLargeSizesBoundBytes: --sizes 1M makes no message-passing case move
// more than a stream case's bytes, so that it ends within its bound (fanin
// once sent 200 000 messages of 1 MiB, and every transport "hung").
func TestLargeSizesBoundBytes(t *testing.T) {
	for _, quick := range []bool{true, false} {
		cfg := Config{Quick: quick, Sizes: []int{1 << 20}}
		for _, name := range []string{"pingpong", "stream", "fanin"} {
			s, ok := Lookup(name)
			if !ok {
				t.Fatalf("no scenario %s", name)
			}
			for _, c := range s.Cases(cfg) {
				if c.Size == 1<<20 && c.Ops > streamOps(c.Size, quick) {
					t.Errorf("quick %v: %s: %d messages of 1 MiB, more than a stream case's %d", quick, c.Label(), c.Ops, streamOps(c.Size, quick))
				}
			}
		}
	}
}

// TestFaninLargeMessages: fanin at sizes past what a shared byte stream
// keeps whole either runs exactly once or is skipped with its reason,
// never fails. Two producers writing 1 MiB messages into one unix stream
// socket tore them (every round of `--only fanin --sizes 1M` failed its
// payload check); at 4 KiB, PIPE_BUF, every link transport must run.
func TestFaninLargeMessages(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	for _, size := range []int{pipeBuf, 1 << 20} {
		for _, name := range linkTransports(func(t *transport) bool { return t.fanin }) {
			c := Case{Scenario: "fanin", Transport: name, Size: size, Batch: 1, Ops: 16, Timeout: 60 * time.Second}
			if m := modesOf(transports[name]); len(m) > 0 {
				c.Mode = m[0]
			}
			t.Run(c.Label(), func(t *testing.T) {
				r := RunCase(context.Background(), c)
				if r.Failed {
					t.Fatalf("%s: %s", c.Label(), r.Note)
				}
				skipped := strings.HasPrefix(r.Note, "skipped:")
				if skipped && size <= pipeBuf {
					t.Fatalf("%s skipped at %d bytes: %s", c.Label(), size, r.Note)
				}
				if !skipped && r.Ops != c.Ops {
					t.Fatalf("%s: %d messages, want %d", c.Label(), r.Ops, c.Ops)
				}
			})
		}
	}
}

// TestDatagramLimit: a unix-seqpacket case past what the kernel sends as
// one datagram is skipped with its reason, not failed (16 MiB messages
// failed every pingpong, stream and fanin case with ENOBUFS), and one at
// the limit runs.
func TestDatagramLimit(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	for _, sc := range []string{"pingpong", "stream"} {
		for _, size := range []int{maxDatagram, 16 << 20} {
			c := Case{Scenario: sc, Transport: "unix-seqpacket", Size: size, Batch: 1, Ops: 2, Timeout: 60 * time.Second}
			t.Run(sc+"/"+c.Label(), func(t *testing.T) {
				r := RunCase(context.Background(), c)
				if r.Failed {
					t.Fatalf("%s: %s", c.Label(), r.Note)
				}
				if skipped := strings.HasPrefix(r.Note, "skipped:"); skipped != (size > maxDatagram) {
					t.Fatalf("%s at %d bytes: note %q", c.Label(), size, r.Note)
				}
			})
		}
	}
}
