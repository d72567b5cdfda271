package pool

import (
	"fmt"
	"time"
)

// MapOption adjusts a call that runs tasks: Map, Imap, ImapUnordered and
// Apply.
type MapOption func(*mapConfig)

type mapConfig struct {
	chunk   int
	timeout time.Duration
}

// Chunksize sends inputs to workers n at a time (n ≥ 1). Without it, Map
// cuts its inputs into shrinking chunks: the first of Python's default
// size, len(inputs) / (4 × workers) rounded up, and each next one the same
// share of the inputs still to cut (guided self-scheduling), down to single
// inputs at the end. Python's fixed size leaves workers idle at the end
// while the last big chunks run: up to an eighth of the run on 2 workers.
// Imap and ImapUnordered send one input at a time.
func Chunksize(n int) MapOption { return func(c *mapConfig) { c.chunk = n } }

// Timeout bounds each input's run (d > 0): the task's ctx in the worker
// ends d after the input starts, with context.DeadlineExceeded, and an
// input still running a grace period later (Options.Grace) fails with an
// error wrapping context.DeadlineExceeded while its worker is replaced.
// The call's own ctx bounds the whole call; this bounds each task in it.
func Timeout(d time.Duration) MapOption { return func(c *mapConfig) { c.timeout = d } }

// mapOptions applies opts; n is the number of inputs, or -1 for a stream.
// chunk is the explicit chunk size, or 0 for Map's guided sizes (1 for a
// stream, whose length is unknown).
func mapOptions(n int, opts []MapOption) (mapConfig, error) {
	var c mapConfig
	for _, o := range opts {
		o(&c)
	}
	if c.chunk < 0 {
		return c, fmt.Errorf("chunk size %d: %w", c.chunk, errInvalid)
	}
	if c.timeout < 0 {
		return c, fmt.Errorf("timeout %v: %w", c.timeout, errInvalid)
	}
	if c.chunk == 0 && n < 0 {
		c.chunk = 1
	}
	return c, nil
}

// guidedChunk is the size of the next chunk when left inputs remain to be
// cut for a pool of workers: left / (4 × workers) rounded up, at least 1.
func guidedChunk(left, workers int) int {
	return max((left+4*workers-1)/(4*workers), 1)
}

// maxChunkBytes caps a chunk's arguments, whatever its count: big inputs
// go a few at a time, so that no chunk nears MaxMessage and a worker
// starts on a chunk while the next is cut.
const maxChunkBytes = 16 << 20

// chunkLen is how many of args, up to n (at least one), make the next
// chunk within maxChunkBytes.
func chunkLen(args [][]byte, n int) int {
	n = min(n, len(args))
	total := 0
	for i, a := range args[:n] {
		if total += len(a); total > maxChunkBytes && i > 0 {
			return i
		}
	}
	return n
}
