package table

import (
	"bytes"
	"context"
	"fmt"
	"os"

	"github.com/shmkit/shmkit/shm"
)

// Dict is a hash table in shared memory, read and written in place by
// every process that maps its segment: no server, no round trip. Package
// manager calls it LocalDict, and it implements manager's Dict interface.
//
// Keys are strings of arbitrary bytes (a []byte key is string(b)), values
// byte slices; both are copied in and out. Operations on one key are
// atomic and linearizable: writes run under the key's stripe lock, and Get
// and Contains read without it, checking the stripe's sequence word to see
// that nothing they read was freed meanwhile (read.go); Update,
// SetDefault, Pop, CompareAndSwap and CompareAndDelete are atomic
// read-modify-writes. SetMany, Clear and Snapshot lock every stripe they
// touch and are atomic against other operations.
//
// Iteration (Keys, Values, Items) is weakly consistent: it visits the
// table a stripe at a time, each stripe copied under its lock, so every
// key present for the whole iteration is seen exactly once with a value it
// had, and keys set or deleted meanwhile may or may not be seen. It stops
// early and silently on an error (a context that ends, a corrupt table):
// use Snapshot, which is atomic and returns the error, when that matters.
//
// A Dict is safe for concurrent use by many goroutines and processes.
// Make one per process (NewDict, OpenDict, or decoding one sent to a child
// by gob); it holds no resources of its own and needs no Close, but is
// valid only while its segment is mapped.
//
// A process killed at any point of an operation leaves each key with its
// old value or its new one; waiters take its lock over within tens of
// milliseconds (see table.go). Space it had taken is recovered by the
// next Reclaim (run automatically when the table would otherwise be
// full).
type Dict struct {
	t *table
}

// NewDict allocates an empty Dict called name in seg; os.ErrExist if seg
// has an object of that name.
func NewDict(seg *shm.Segment, name string, opts *Options) (*Dict, error) {
	return NewKind(seg, name, shm.KindDict, opts)
}

// OpenDict finds the Dict called name in seg.
func OpenDict(seg *shm.Segment, name string) (*Dict, error) {
	return OpenKind(seg, name, shm.KindDict)
}

// NewKind, OpenKind and AttachKind are NewDict, OpenDict and
// shm.AttachAs[table.Dict] for a table that is a Dict under an object kind of its own, so that a
// typed open of the wrong kind fails (shm.ErrWrongKind): manager's
// Namespace is a Dict of kind shm.KindNamespace. kind must be
// shm.KindDict or shm.KindNamespace (a List is not a Dict: NewList).
func NewKind(seg *shm.Segment, name string, kind shm.Kind, opts *Options) (*Dict, error) {
	if err := dictKind(kind); err != nil {
		return nil, err
	}
	t, err := allocTable(seg, name, kind, opts)
	if err != nil {
		return nil, err
	}
	return &Dict{t}, nil
}

// OpenKind finds the table of kind kind called name in seg (see NewKind).
func OpenKind(seg *shm.Segment, name string, kind shm.Kind) (*Dict, error) {
	if err := dictKind(kind); err != nil {
		return nil, err
	}
	t, err := lookupTable(seg, name, kind)
	if err != nil {
		return nil, err
	}
	return &Dict{t}, nil
}

// AttachKind attaches the table of kind kind a handle names, in this
// process (see NewKind).
func AttachKind(h shm.Handle, kind shm.Kind) (*Dict, error) {
	if err := dictKind(kind); err != nil {
		return nil, err
	}
	t, err := attachTable(h, kind)
	if err != nil {
		return nil, err
	}
	return &Dict{t}, nil
}

// dictKind checks that kind is one whose objects are Dicts.
func dictKind(kind shm.Kind) error {
	if kind != shm.KindDict && kind != shm.KindNamespace {
		return fmt.Errorf("a Dict of kind %s: %w", kind, os.ErrInvalid)
	}
	return nil
}

func allocTable(seg *shm.Segment, name string, kind shm.Kind, opts *Options) (*table, error) {
	p, err := opts.params()
	if err != nil {
		return nil, err
	}
	l, err := computeLayout(p)
	if err != nil {
		return nil, err
	}
	o, err := seg.AllocObject(name, kind, tableVersion, int(l.size), shm.CacheLinePad, l.writeHeader)
	if err != nil {
		return nil, fmt.Errorf("allocating %s %q: %s%w", kind, name, noRoomHint(seg, kind, l), err)
	}
	return newTable(o)
}

// noRoomHint says, when seg has no room for a table of layout l, what the
// table needs and the two ways out: shm's own message ("size 1064320:
// must be 1..1056768") names neither.
func noRoomHint(seg *shm.Segment, kind shm.Kind, l layout) string {
	free := uint64(max(seg.Size()-seg.Info().Used, 0))
	if l.size+shm.CacheLinePad <= free {
		return "" // room enough: the error is another (a full directory, a name taken)
	}
	opts := "DictOptions Entries, Bytes or MaxValue"
	if kind == shm.KindList {
		opts = "ListOptions Len, Bytes or MaxValue"
	}
	// KiB rounded up for the need and down for the room, so that the two
	// never print alike ("1.0 MiB" of each).
	return fmt.Sprintf("it needs %d KiB of shared memory (%d entries, a %s arena, values up to %s) "+
		"and the segment has %d KiB free: make the segment bigger (manager.Options.Size) "+
		"or the table smaller (%s): ",
		(l.size+1023)/1024, l.entries, shm.FormatBytes(l.arenaSize), shm.FormatBytes(l.maxValue),
		free/1024, opts)
}

func lookupTable(seg *shm.Segment, name string, kind shm.Kind) (*table, error) {
	o, err := seg.LookupKind(name, kind, tableVersion)
	if err != nil {
		return nil, err
	}
	return newTable(o)
}

func attachTable(h shm.Handle, kind shm.Kind) (*table, error) {
	o, err := shm.Attach(h, kind, tableVersion)
	if err != nil {
		return nil, err
	}
	return newTable(o)
}

// Name returns the dict's object name.
func (d *Dict) Name() string { return d.t.obj.Name() }

// Handle returns the shm handle of the dict's object.
func (d *Dict) Handle() shm.Handle { return d.t.obj.Handle() }

// MarshalBinary encodes d's handle, so that d can be sent to a child
// process (gob uses it).
func (d *Dict) MarshalBinary() ([]byte, error) { return d.t.obj.Handle().MarshalBinary() }

// UnmarshalBinary attaches the Dict a handle names, in this process.
func (d *Dict) UnmarshalBinary(b []byte) error { return shm.UnmarshalHandle(b, d) }

// AttachHandle attaches d to the Dict h names (see shm.AttachAs).
func (d *Dict) AttachHandle(h shm.Handle) error {
	t, err := attachTable(h, shm.KindDict)
	if err != nil {
		return err
	}
	d.t = t
	return nil
}

// Close does nothing: a Dict holds no resources of its own (its
// segment's owner closes the segment). It is there for manager's Dict
// interface.
func (d *Dict) Close() error { return nil }

// Get returns a copy of key's value, and whether key is present.
func (d *Dict) Get(ctx context.Context, key string) ([]byte, bool, error) {
	return d.GetAppend(ctx, key, nil)
}

// GetAppend appends key's value to dst (for callers that reuse a buffer)
// and reports whether key is present; absent, it returns dst unchanged.
func (d *Dict) GetAppend(ctx context.Context, key string, dst []byte) ([]byte, bool, error) {
	return d.t.getAppend(ctx, bytesOf(key), dst)
}

// Contains reports whether key is present.
func (d *Dict) Contains(ctx context.Context, key string) (bool, error) {
	return d.t.contains(ctx, bytesOf(key))
}

// Set sets key to a copy of val. ErrFull (no room) and ErrTooLarge leave
// the table as it was.
func (d *Dict) Set(ctx context.Context, key string, val []byte) error {
	k := bytesOf(key)
	if err := d.t.checkKey(k); err != nil {
		return err
	}
	h := d.t.hash(k)
	for try := 0; ; try++ {
		err := d.t.set(ctx, h, k, val)
		if retry, err := d.t.afterFull(ctx, err, try); !retry {
			return err
		}
	}
}

// Delete removes key and reports whether it was present.
func (d *Dict) Delete(ctx context.Context, key string) (bool, error) {
	var ok bool
	err := d.t.with(ctx, bytesOf(key), func(sl *slot) error {
		if ok = sl.found; ok {
			sl.del()
		}
		return nil
	})
	return ok, err
}

// Pop removes key and returns its value, if present.
func (d *Dict) Pop(ctx context.Context, key string) ([]byte, bool, error) {
	var v []byte
	var ok bool
	err := d.t.with(ctx, bytesOf(key), func(sl *slot) error {
		if ok = sl.found; ok {
			v = bytes.Clone(sl.value())
			sl.del()
		}
		return nil
	})
	return v, ok, err
}

// SetDefault sets key to val unless present, and returns key's value
// after the call (Python's setdefault) and whether it was already there.
func (d *Dict) SetDefault(ctx context.Context, key string, val []byte) ([]byte, bool, error) {
	var v []byte
	var loaded bool
	err := d.t.with(ctx, bytesOf(key), func(sl *slot) error {
		if loaded = sl.found; loaded {
			v = bytes.Clone(sl.value())
			return nil
		}
		v = bytes.Clone(val)
		return sl.put(val)
	})
	return v, loaded, err
}

// CompareAndSwap sets key to new if it is present with value old.
func (d *Dict) CompareAndSwap(ctx context.Context, key string, old, new []byte) (bool, error) {
	var swapped bool
	err := d.t.with(ctx, bytesOf(key), func(sl *slot) error {
		if !sl.found || !bytes.Equal(sl.value(), old) {
			return nil
		}
		swapped = true
		return sl.put(new)
	})
	return swapped && err == nil, err
}

// CompareAndDelete deletes key if it is present with value old.
func (d *Dict) CompareAndDelete(ctx context.Context, key string, old []byte) (bool, error) {
	var deleted bool
	err := d.t.with(ctx, bytesOf(key), func(sl *slot) error {
		if deleted = sl.found && bytes.Equal(sl.value(), old); deleted {
			sl.del()
		}
		return nil
	})
	return deleted, err
}

// Update replaces key's value atomically by what fn returns: fn gets a
// copy of the current value (ok false when absent) and returns the new
// value and keep; keep false deletes the key (or leaves it absent).
//
// fn runs with the key's stripe locked: it must be quick, and must not
// use this dict (the stripe lock is not reentrant: it would wait for
// itself until ctx ends). If fn panics, the table is left unchanged and
// the panic goes on. Over a remote Dict (package remote), Update is a
// compare-and-swap loop and fn may run several times.
func (d *Dict) Update(ctx context.Context, key string, fn func(old []byte, ok bool) (new []byte, keep bool)) error {
	return d.t.with(ctx, bytesOf(key), func(sl *slot) error {
		var old []byte
		if sl.found {
			old = bytes.Clone(sl.value())
		}
		nv, keep := fn(old, sl.found)
		switch {
		case keep:
			return sl.put(nv)
		case sl.found:
			sl.del()
		}
		return nil
	})
}

// Len returns the number of keys. Concurrent writers may change it before
// the caller looks.
func (d *Dict) Len(ctx context.Context) (int, error) {
	var n uint64
	for i := range d.t.l.stripes {
		n += loadCount(d.t.stripe(i))
	}
	return int(min(n, d.t.l.entries)), ctx.Err()
}

// Clear removes every key, atomically, and gives the whole arena back.
func (d *Dict) Clear(ctx context.Context) error {
	if err := d.t.lockAll(ctx); err != nil {
		return err
	}
	defer d.t.unlockAll()
	d.t.clearLocked()
	return nil
}

// Reclaim recovers space a killed process may have leaked and merges
// adjacent free blocks. It holds every stripe lock while it walks the
// table: O(entries). Set runs it by itself before reporting ErrFull when
// it may help.
func (d *Dict) Reclaim(ctx context.Context) error { return d.t.reclaim(ctx) }

// Stats describes a table's use.
type Stats struct {
	Entries, MaxEntries int
	// UsedBytes is the size of the blocks of live entries; CarvedBytes
	// how far the arena has ever been carved (used, free and leaked
	// blocks); ArenaBytes its size.
	UsedBytes, CarvedBytes, ArenaBytes int
}

// Stats returns the table's current use, read without locks.
func (d *Dict) Stats() Stats { return d.t.stats() }

// PopItem removes and returns some key and its value, Python's popitem:
// ok false when the dict is empty. Which key is not specified (Python's is
// the last inserted; a hash table has no such order): each call starts at
// the stripe after the one this handle last popped from, so processes
// popping at once mostly take different locks.
func (d *Dict) PopItem(ctx context.Context) (key string, val []byte, ok bool, err error) {
	return d.t.popAny(ctx)
}
