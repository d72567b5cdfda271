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

// List is a shared list of byte values, Python's Manager().list(): the
// whole of MutableSequence — Get and Set by index (negative counts from the
// end), Append, Extend, Insert, Pop(i), Delete, Remove, Index, Count,
// Contains, Reverse, Slice, SetSlice, DeleteSlice, Clear, Update, Len and
// iteration.
//
// It is a one-stripe table (so every operation holds the same lock) keyed
// by the 8-byte big-endian index, with the length under the empty key. An
// operation that changes one element, or adds or takes elements at the
// end (Append, Extend, Pop of the last), is a few single-entry writes
// whose last one commits it. One that moves elements (Insert, Delete,
// Reverse, SetSlice…) stages the new contents of the part that changes
// and commits them with one journal record (list_journal.go). A process
// killed at any instant of any of them leaves the list as it was before
// the call or as it is after, never in between: the next operation finds
// what the dead writer left and finishes or undoes it first.
//
// Its operations are not lock-free and do not scale across cores: for a
// queue between processes use package ring. Those that move elements cost
// O(elements moved) writes, twice.
type List struct {
	t *table
}

// ListOptions size a List.
type ListOptions struct {
	// Len is the most elements (default 1024); Bytes the arena (default
	// max(512×Len, 1 MiB)); MaxValue bounds an element (default 64 KiB).
	// An operation that moves elements stages their new values first, so
	// the arena needs room for the values it moves on top of the list's.
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
	return listOf(t)
}

// listOf checks that t has the shape of a List: one stripe (the code
// below holds stripe 0's lock for every key) and room for its records.
func listOf(t *table) (*List, error) {
	if t.l.stripes != 1 || t.l.entries < listEntries(1) || t.l.maxKey < 8 || t.l.maxValue < journalSize {
		return nil, fmt.Errorf("list %s: %d stripes, %d entries, keys %d, values %d bytes: %w",
			t.obj.Name(), t.l.stripes, t.l.entries, t.l.maxKey, t.l.maxValue, ErrCorrupt)
	}
	return &List{t}, nil
}

// table returns the options of the table behind a List: room for Len
// elements, as many staged values, the length and the journal record.
func (o *ListOptions) table() (*Options, error) {
	var v ListOptions
	if o != nil {
		v = *o
	}
	if v.Len < 0 || v.Bytes < 0 || v.MaxValue < 0 || v.Len > maxEntries/2-2 {
		return nil, fmt.Errorf("list options %+v: %w", v, os.ErrInvalid)
	}
	if v.Len == 0 {
		v.Len = defaultEntries
	}
	if v.MaxValue == 0 {
		v.MaxValue = defaultMaxValue // not max(0, …): the records' sizes are no default
	}
	return &Options{
		Entries: int(listEntries(v.Len)), Bytes: v.Bytes, MaxKey: 8,
		MaxValue: max(v.MaxValue, journalSize), Stripes: 1,
	}, nil
}

// listEntries is the entry capacity for n elements; listCap inverts it.
func listEntries(n int) uint64 { return 2*uint64(n) + 2 }

func (l *List) cap() int { return (int(l.t.l.entries) - 2) / 2 }

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
	return listOf(t)
}

// Keys. An element's key is its index, 8 bytes big-endian; a staged value's
// the same with the top bit set; the length's is empty and the journal's
// one byte, so no two kinds of record can share a key.
var (
	listLenKey = []byte{}
	journalKey = []byte{'J'}
)

const stagedBit = 1 << 63

type listKey [8]byte

func elemKey(i int) listKey {
	var k listKey
	binary.BigEndian.PutUint64(k[:], uint64(i))
	return k
}

func stagedKey(j int) listKey {
	var k listKey
	binary.BigEndian.PutUint64(k[:], uint64(j)|stagedBit)
	return k
}

// locked runs fn with the list's lock held, after settling what a dead
// writer left, with the length. An ErrFull that a Reclaim may cure runs
// one, with no lock held, and fn again: every fn leaves the list as it was
// when it fails.
func (l *List) locked(ctx context.Context, fn func(s *stripe, n int) error) error {
	for try := 0; ; try++ {
		err := l.lockedOnce(ctx, fn)
		if retry, err := l.t.afterFull(ctx, err, try); !retry {
			return err
		}
	}
}

func (l *List) lockedOnce(ctx context.Context, fn func(s *stripe, n int) error) error {
	s, err := l.t.lockStripe(ctx, 0)
	if err != nil {
		return err
	}
	defer s.Lock.unlock(l.t.me)
	n, err := l.settle(s)
	if err != nil {
		return err
	}
	return fn(s, n)
}

// get returns key's value, a view into shared memory valid until the next
// write to the list; put and del write one record. Each locates its key
// afresh: a slot's link may be stale after another write to its chain.
func (l *List) get(s *stripe, key []byte) ([]byte, bool, error) {
	sl, err := l.t.locate(s, l.t.hash(key), key)
	if err != nil || !sl.found {
		return nil, false, err
	}
	return sl.value(), true, nil
}

// hookListWrite, when set (tests), runs before every write of a List
// record: a test that panics in it stops an operation where a kill -9
// could; one that returns an error fails that write (ErrFull).
var hookListWrite func(key []byte) error

func (l *List) put(s *stripe, key, v []byte) error {
	if hookListWrite != nil {
		if err := hookListWrite(key); err != nil {
			return err
		}
	}
	sl, err := l.t.locate(s, l.t.hash(key), key)
	if err != nil {
		return err
	}
	return sl.put(v)
}

func (l *List) del(s *stripe, key []byte) error {
	if hookListWrite != nil {
		if err := hookListWrite(key); err != nil {
			return err
		}
	}
	sl, err := l.t.locate(s, l.t.hash(key), key)
	if err == nil && sl.found {
		sl.del()
	}
	return err
}

// elem returns element i (< the length), a view as get's.
func (l *List) elem(s *stripe, i int) ([]byte, error) {
	k := elemKey(i)
	v, ok, err := l.get(s, k[:])
	if err == nil && !ok {
		err = fmt.Errorf("list %s: element %d missing: %w", l.Name(), i, ErrCorrupt)
	}
	return v, err
}

// length reads the length record, and whether there is one.
func (l *List) length(s *stripe) (int, bool, error) {
	v, ok, err := l.get(s, listLenKey)
	if err != nil || !ok {
		return 0, false, err
	}
	if len(v) != 8 || binary.BigEndian.Uint64(v) > uint64(l.cap()) {
		return 0, true, fmt.Errorf("list length record: %w", ErrCorrupt)
	}
	return int(binary.BigEndian.Uint64(v)), true, nil
}

func (l *List) setLength(s *stripe, n int) error {
	return l.put(s, listLenKey, binary.BigEndian.AppendUint64(nil, uint64(n)))
}

// index resolves a Python index (negative counts from the end) to [0, n):
// ErrNotFound outside (Python's IndexError).
func (l *List) index(i, n int) (int, error) {
	if i < 0 {
		i += n
	}
	if i < 0 || i >= n {
		return 0, fmt.Errorf("index %d of a list of %d: %w", i, n, ErrNotFound)
	}
	return i, nil
}

func (l *List) full(n, more int) error {
	if n+more > l.cap() {
		return fmt.Errorf("list %s of %d elements, capacity %d: %w", l.Name(), n, l.cap(), ErrFull)
	}
	return nil
}

// Append adds v at the end and returns its index. A full list is ErrFull.
func (l *List) Append(ctx context.Context, v []byte) (int, error) {
	var i int
	err := l.locked(ctx, func(s *stripe, n int) error {
		i = n
		return l.extend(s, n, [][]byte{v})
	})
	return i, err
}

// Extend appends vals, all or (ErrFull, ErrTooLarge) none: Python's
// extend and +=.
func (l *List) Extend(ctx context.Context, vals ...[]byte) error {
	if len(vals) == 0 {
		return nil
	}
	return l.locked(ctx, func(s *stripe, n int) error { return l.extend(s, n, vals) })
}

// extend writes vals past the end, where no reader looks, then commits
// them with the length. On a failure it deletes what it wrote; a process
// killed before the length leaves elements past the end, which the next
// operation deletes (settle).
func (l *List) extend(s *stripe, n int, vals [][]byte) error {
	if err := l.full(n, len(vals)); err != nil {
		return err
	}
	for j, v := range vals {
		k := elemKey(n + j)
		if err := l.put(s, k[:], v); err != nil {
			for i := range j {
				k := elemKey(n + i)
				l.del(s, k[:])
			}
			return err
		}
	}
	return l.setLength(s, n+len(vals))
}

// Get returns a copy of element i (negative counts from the end); an
// index out of range is ErrNotFound.
func (l *List) Get(ctx context.Context, i int) ([]byte, error) {
	var v []byte
	err := l.locked(ctx, func(s *stripe, n int) error {
		i, err := l.index(i, n)
		if err != nil {
			return err
		}
		e, err := l.elem(s, i)
		v = bytes.Clone(e)
		return err
	})
	return v, err
}

// Set replaces element i (negative counts from the end).
func (l *List) Set(ctx context.Context, i int, v []byte) error {
	return l.locked(ctx, func(s *stripe, n int) error {
		i, err := l.index(i, n)
		if err != nil {
			return err
		}
		k := elemKey(i)
		return l.put(s, k[:], v)
	})
}

// Pop removes and returns element i (negative counts from the end:
// Pop(ctx, -1) is Python's pop()); an empty list or an index out of range
// is ErrNotFound. Popping the last element writes two records; any other
// moves the ones after it (see List).
func (l *List) Pop(ctx context.Context, i int) ([]byte, error) {
	var v []byte
	err := l.locked(ctx, func(s *stripe, n int) error {
		i, err := l.index(i, n)
		if err != nil {
			return err
		}
		e, err := l.elem(s, i)
		if err != nil {
			return err
		}
		v = bytes.Clone(e)
		return l.remove(s, n, i)
	})
	return v, err
}

// remove deletes element i of n. The last goes by the length first: a
// process killed before the delete leaves an element past the end, which
// the next operation deletes.
func (l *List) remove(s *stripe, n, i int) error {
	if i == n-1 {
		if err := l.setLength(s, n-1); err != nil {
			return err
		}
		k := elemKey(n - 1)
		return l.del(s, k[:])
	}
	return l.rewrite(s, n, i, n-1, fromList(i+1, n))
}

// Len returns the number of elements.
func (l *List) Len(ctx context.Context) (int, error) {
	var n int
	err := l.locked(ctx, func(_ *stripe, m int) error { n = m; return nil })
	return n, err
}

// Snapshot returns a copy of every element, taken atomically.
func (l *List) Snapshot(ctx context.Context) ([][]byte, error) {
	return l.Slice(ctx, 0, maxIndex)
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

// Backward yields the elements of a Snapshot from the last to the first,
// with their indexes (Python's reversed()); it stops early on an error.
func (l *List) Backward(ctx context.Context) iter.Seq2[int, []byte] {
	return func(yield func(int, []byte) bool) {
		vs, _ := l.Snapshot(ctx)
		for i := len(vs) - 1; i >= 0; i-- {
			if !yield(i, vs[i]) {
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
	nl, err := listOf(t)
	if err != nil {
		return err
	}
	*l = *nl
	return nil
}
