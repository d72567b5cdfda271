package table

import (
	"fmt"
	"math/bits"
	"os"
)

// Options size a table at creation; they cannot change later. Zero
// fields take the defaults.
type Options struct {
	// Entries is the most keys the table holds (default 1024).
	Entries int
	// Bytes is the arena size for entries (default max(256×Entries,
	// 1 MiB)). An entry takes a block of 24 bytes of header plus its key
	// and value, rounded up to its size class (under 1.5× the need).
	Bytes int
	// MaxKey and MaxValue bound a key's and a value's length (defaults
	// 1 KiB and 64 KiB; MaxKey at most 64 KiB).
	MaxKey, MaxValue int
	// Stripes is the number of locks (default 64, rounded up to a power
	// of two): operations on keys of different stripes never wait for
	// each other.
	Stripes int
}

const (
	defaultEntries  = 1024
	defaultMaxKey   = 1 << 10
	defaultMaxValue = 64 << 10
	defaultStripes  = 64
)

func (o *Options) params() (params, error) {
	var v Options
	if o != nil {
		v = *o
	}
	if v.Entries < 0 || v.Bytes < 0 || v.MaxKey < 0 || v.MaxValue < 0 || v.Stripes < 0 {
		return params{}, fmt.Errorf("negative dict option %+v: %w", v, os.ErrInvalid)
	}
	if v.Entries == 0 {
		v.Entries = defaultEntries
	}
	if v.MaxKey == 0 {
		v.MaxKey = defaultMaxKey
	}
	if v.MaxValue == 0 {
		v.MaxValue = defaultMaxValue
	}
	if v.Stripes == 0 {
		v.Stripes = defaultStripes
	}
	if v.Bytes == 0 {
		v.Bytes = max(256*v.Entries, 1<<20, arenaStart+int(blockSizeFor(uint64(v.MaxKey), uint64(v.MaxValue))))
	}
	stripes := pow2(uint64(v.Stripes))
	p := params{
		stripes:   stripes,
		buckets:   max(pow2(uint64(v.Entries)), stripes),
		entries:   uint64(v.Entries),
		arenaSize: alignUp(uint64(v.Bytes), blockUnit),
		maxKey:    uint64(v.MaxKey),
		maxValue:  uint64(v.MaxValue),
	}
	if err := p.check(); err != nil {
		return params{}, fmt.Errorf("dict options: %v: %w", err, os.ErrInvalid)
	}
	return p, nil
}

// SharedBytes returns the bytes of shared memory a table made with these
// options takes in its segment (nil: the defaults, about 1 MiB), so that
// a segment can be sized before the table is made.
func (o *Options) SharedBytes() (int, error) {
	p, err := o.params()
	if err != nil {
		return 0, err
	}
	l, err := computeLayout(p)
	return int(l.size), err
}

func pow2(n uint64) uint64 {
	if n <= 1 {
		return 1
	}
	return 1 << bits.Len64(n-1)
}
