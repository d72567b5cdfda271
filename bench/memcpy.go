package bench

import (
	"context"
	"time"
)

// memcpy: single-process copy bandwidth, the physical limit for large
// messages. Each round copies a batch of distinct source messages (each a
// different pattern window, written before the round) into distinct
// destinations, timed as a whole;
// every destination is then checked outside the timed span, so the figure
// is the copy alone and still every byte is proven. Mode "pieces" copies
// in 256 KiB pieces: on AMD, Go's copy of 1 MiB or more switches to
// non-temporal stores and reaches about half the bandwidth.

const (
	memcpyPiece = 256 << 10
	memcpyRound = 256 << 10
)

func memcpyCases(cfg Config) []Case {
	var out []Case
	for _, size := range sizesOr(cfg.Sizes, []int{64, 4 << 10, 64 << 10, 1 << 20}) {
		ops := streamOps(size, cfg.Quick) * 4
		out = append(out, Case{Scenario: "memcpy", Transport: "memcpy", Size: size, Batch: 1, Ops: ops, Timeout: caseTimeout(cfg)})
		if size > memcpyPiece {
			out = append(out, Case{Scenario: "memcpy", Transport: "memcpy", Mode: "pieces", Size: size, Batch: 1, Ops: ops, Timeout: caseTimeout(cfg)})
		}
	}
	return out
}

func runMemcpy(ctx context.Context, c Case) Result {
	r := resultFor(c)
	if c.Size < MinSize {
		return r.failed(errSize(c.Size))
	}
	// A round copies 256 KiB (one message at least) and is timed as a
	// whole, so clock reads are a small part of it even at 64 B. Source and
	// destination stay the same size as a ring's data area, as hot in the
	// caches as a transport's buffers are.
	per := max(1, memcpyRound/c.Size)
	per = min(per, max(c.Ops, 1))
	src, dst := make([]byte, per*c.Size), make([]byte, per*c.Size)
	var total time.Duration
	done := 0
	for done < c.Ops {
		if err := ctx.Err(); err != nil {
			return r.failed(err)
		}
		n := min(per, c.Ops-done)
		for j := range n {
			fill(src[j*c.Size:(j+1)*c.Size], uint64(done+j))
		}
		if c.hooks.Corrupt > done && c.hooks.Corrupt <= done+n {
			flip(src[(c.hooks.Corrupt-done-1)*c.Size : (c.hooks.Corrupt-done)*c.Size])
		}
		t := time.Now()
		for j := range n {
			d, s := dst[j*c.Size:(j+1)*c.Size], src[j*c.Size:(j+1)*c.Size]
			if c.Mode == "pieces" {
				copyPieces(d, s)
			} else {
				copy(d, s)
			}
		}
		total += time.Since(t)
		for j := range n {
			if err := check(dst[j*c.Size:(j+1)*c.Size], uint64(done+j)); err != nil {
				return r.failed(err)
			}
		}
		done += n
	}
	throughput(&r, c.Ops, c.Size, total)
	return r
}
