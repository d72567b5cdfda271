package table

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"iter"
	"os"

	"github.com/shmkit/shmkit/shm"
)

// List is a shared list of byte values, Python's Manager().list(): Append,
// Get and Set by index, Pop from the end, Len, iteration.
//
// It is a one-stripe table (so every operation holds the same lock) keyed
// by the 8-byte big-endian index, plus the length under the empty key.
// Append writes the element, then the length; Pop writes the length, then
// deletes the element. A process killed between the two leaves the list as
// it was before the call (an element past the end is invisible, and the
// next Append overwrites it). Its operations are not lock-free and do not
// scale across cores: for a queue between processes use package ring.
type List struct {
	t *table
}

// ListOptions size a List.
type ListOptions struct {
	// Len is the most elements (default 1024); Bytes the arena (default
	// max(256×Len, 1 MiB)); MaxValue bounds an element (default 64 KiB).
	Len, Bytes, MaxValue int
}

// NewList allocates an empty List called name in seg; os.ErrExist if seg
// has an object of that name.
func NewList(seg *shm.Segment, name string, opts *ListOptions) (*List, error) {
	to, err := opts.table()
	if err != nil {
		return nil, err
	}
	t, err := allocTable(seg, name, shm.KindList, to)
	if err != nil {
		return nil, err
	}
	return &List{t}, nil
}

// table returns the options of the table behind a List.
func (o *ListOptions) table() (*Options, error) {
	var v ListOptions
	if o != nil {
		v = *o
	}
	if v.Len < 0 || v.Bytes < 0 || v.MaxValue < 0 {
		return nil, fmt.Errorf("negative list option %+v: %w", v, os.ErrInvalid)
	}
	if v.Len == 0 {
		v.Len = defaultEntries
	}
	if v.MaxValue == 0 {
		v.MaxValue = defaultMaxValue // not max(0, 8): the length record's 8 bytes are no default
	}
	return &Options{Entries: v.Len + 1, Bytes: v.Bytes, MaxKey: 8, MaxValue: max(v.MaxValue, 8), Stripes: 1}, nil
}

// SharedBytes returns the bytes of shared memory a List made with these
// options takes in its segment (nil: the defaults, about 1 MiB).
func (o *ListOptions) SharedBytes() (int, error) {
	to, err := o.table()
	if err != nil {
		return 0, err
	}
	return to.SharedBytes()
}

// OpenList finds the List called name in seg.
func OpenList(seg *shm.Segment, name string) (*List, error) {
	t, err := lookupTable(seg, name, shm.KindList)
	if err != nil {
		return nil, err
	}
	return &List{t}, nil
}

var listLenKey = []byte{}

func listKey(i int) []byte { return binary.BigEndian.AppendUint64(make([]byte, 0, 8), uint64(i)) }

// locked runs fn with the list's lock held and its length read.
func (l *List) locked(ctx context.Context, fn func(s *stripe, n int) error) error {
	s, err := l.t.lockStripe(ctx, 0)
	if err != nil {
		return err
	}
	defer s.Lock.unlock(l.t.me)
	n, err := l.length(s)
	if err != nil {
		return err
	}
	return fn(s, n)
}

func (l *List) slot(s *stripe, key []byte) (slot, error) {
	return l.t.locate(s, l.t.hash(key), key)
}

func (l *List) length(s *stripe) (int, error) {
	sl, err := l.slot(s, listLenKey)
	if err != nil || !sl.found {
		return 0, err
	}
	v := sl.value()
	if len(v) != 8 || binary.BigEndian.Uint64(v) > l.t.l.entries {
		return 0, fmt.Errorf("list length record: %w", ErrCorrupt)
	}
	return int(binary.BigEndian.Uint64(v)), nil
}

func (l *List) setLength(s *stripe, n int) error {
	sl, err := l.slot(s, listLenKey)
	if err != nil {
		return err
	}
	return sl.put(binary.BigEndian.AppendUint64(nil, uint64(n)))
}

// Append adds v at the end and returns its index. A full list is ErrFull.
func (l *List) Append(ctx context.Context, v []byte) (int, error) {
	var i int
	err := l.locked(ctx, func(s *stripe, n int) error {
		if uint64(n+1) >= l.t.l.entries {
			return fmt.Errorf("list %s of %d elements: %w", l.t.obj.Name(), n, ErrFull)
		}
		sl, err := l.slot(s, listKey(n))
		if err != nil {
			return err
		}
		if err := sl.put(v); err != nil {
			return err
		}
		i = n
		return l.setLength(s, n+1)
	})
	return i, err
}

func (l *List) checkIndex(i, n int) error {
	if i < 0 || i >= n {
		return fmt.Errorf("index %d of a list of %d: %w", i, n, ErrNotFound)
	}
	return nil
}

// Get returns a copy of element i; an index out of range is ErrNotFound.
func (l *List) Get(ctx context.Context, i int) ([]byte, error) {
	var v []byte
	err := l.locked(ctx, func(s *stripe, n int) error {
		if err := l.checkIndex(i, n); err != nil {
			return err
		}
		sl, err := l.slot(s, listKey(i))
		if err != nil {
			return err
		}
		if !sl.found {
			return fmt.Errorf("list element %d missing: %w", i, ErrCorrupt)
		}
		v = bytes.Clone(sl.value())
		return nil
	})
	return v, err
}

// Set replaces element i.
func (l *List) Set(ctx context.Context, i int, v []byte) error {
	return l.locked(ctx, func(s *stripe, n int) error {
		if err := l.checkIndex(i, n); err != nil {
			return err
		}
		sl, err := l.slot(s, listKey(i))
		if err != nil {
			return err
		}
		return sl.put(v)
	})
}

// Pop removes and returns the last element; an empty list is ErrNotFound.
func (l *List) Pop(ctx context.Context) ([]byte, error) {
	var v []byte
	err := l.locked(ctx, func(s *stripe, n int) error {
		if n == 0 {
			return fmt.Errorf("pop from an empty list: %w", ErrNotFound)
		}
		sl, err := l.slot(s, listKey(n-1))
		if err != nil {
			return err
		}
		if sl.found {
			v = bytes.Clone(sl.value())
		}
		if err := l.setLength(s, n-1); err != nil {
			return err
		}
		if sl, err = l.slot(s, listKey(n-1)); err == nil && sl.found {
			sl.del()
		}
		return err
	})
	return v, err
}

// Len returns the number of elements.
func (l *List) Len(ctx context.Context) (int, error) {
	var n int
	err := l.locked(ctx, func(_ *stripe, m int) error { n = m; return nil })
	return n, err
}

// Snapshot returns a copy of every element, taken atomically.
func (l *List) Snapshot(ctx context.Context) ([][]byte, error) {
	var out [][]byte
	err := l.locked(ctx, func(s *stripe, n int) error {
		out = make([][]byte, n)
		for i := range n {
			sl, err := l.slot(s, listKey(i))
			if err != nil {
				return err
			}
			if !sl.found {
				return fmt.Errorf("list element %d missing: %w", i, ErrCorrupt)
			}
			out[i] = bytes.Clone(sl.value())
		}
		return nil
	})
	return out, err
}

// All yields the index and a copy of every element of a Snapshot; it stops
// early on an error.
func (l *List) All(ctx context.Context) iter.Seq2[int, []byte] {
	return func(yield func(int, []byte) bool) {
		vs, _ := l.Snapshot(ctx)
		for i, v := range vs {
			if !yield(i, v) {
				return
			}
		}
	}
}

// Clear removes every element.
func (l *List) Clear(ctx context.Context) error {
	if err := l.t.lockAll(ctx); err != nil {
		return err
	}
	defer l.t.unlockAll()
	l.t.clearLocked()
	return nil
}

// Name returns the list's object name.
func (l *List) Name() string { return l.t.obj.Name() }

// Handle returns the shm handle of the list's object.
func (l *List) Handle() shm.Handle { return l.t.obj.Handle() }

// MarshalBinary encodes the list's handle (gob uses it).
func (l *List) MarshalBinary() ([]byte, error) { return l.t.obj.Handle().MarshalBinary() }

// UnmarshalBinary attaches the List a handle names, in this process.
func (l *List) UnmarshalBinary(b []byte) error { return shm.UnmarshalHandle(b, l) }

// AttachHandle attaches l to the List h names (see shm.AttachAs).
func (l *List) AttachHandle(h shm.Handle) error {
	t, err := attachTable(h, shm.KindList)
	if err != nil {
		return err
	}
	l.t = t
	return nil
}
