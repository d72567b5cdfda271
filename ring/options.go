package ring

import (
	"fmt"
	"math/bits"
	"os"
)

// Options tune a new ring, queue or pipe. The zero value (or nil) is valid.
type Options struct {
	// Capacity: for a Ring or Pipe, the data area in bytes (rounded up to a
	// power of two; default 1 MiB, at least 64 bytes); the largest record is
	// Capacity-16 bytes. For large records, room for about two is fastest:
	// the data then cycles through memory the caches hold (1 MiB records
	// moved 25 GB/s through a 4 MiB ring, 21 GB/s through an 8 MiB one, on
	// the project's 2-core machine).
	//
	// For a queue, the number of slots, as asked (default 1024): a queue of
	// values that fit one slot each holds exactly Capacity of them, as
	// Python's Queue(maxsize) does; a longer value takes several slots
	// (see SlotSize). A capacity that is not a power of two costs each Put
	// one more load (of the consumers' position).
	Capacity int
	// SlotSize is a queue's slot size in bytes including its 16-byte header
	// (a multiple of 8; default 128). A message of up to SlotSize-16 bytes
	// takes one slot; longer ones take consecutive slots.
	SlotSize int
	// Participants is the size of a queue's table of live producers and
	// consumers (one entry per concurrent Put or Get per process; default
	// 128). Entries of dead processes are reused.
	Participants int
	// Mode is how calls wait by default (Blocking unless set); WithMode
	// overrides it per call.
	Mode Mode
}

const (
	defaultRingCap     = 1 << 20
	minRingCap         = 64
	maxRingCap         = 1 << 40
	defaultSlots       = 1024
	defaultSlotSize    = 128
	defaultParticipant = 128
	maxParticipants    = 1 << 16
	maxSlots           = 1 << 30
)

func (o *Options) orDefault() Options {
	if o == nil {
		return Options{}
	}
	return *o
}

// pow2 rounds n up to a power of two, checking bounds.
func pow2(what string, n, def, lo, hi int) (int, error) {
	if n == 0 {
		n = def
	}
	if n < 0 || n > hi {
		return 0, fmt.Errorf("%s %d: must be 1..%d: %w", what, n, hi, os.ErrInvalid)
	}
	n = max(n, lo)
	return 1 << bits.Len(uint(n-1)), nil
}
