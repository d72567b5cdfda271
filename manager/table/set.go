package table

import (
	"context"
	"fmt"
	"iter"
	"os"
	"slices"

	"github.com/shmkit/shmkit/shm"
)

// KindSet tags a Set's table in a segment's directory: shm.KindSet, in
// shm's list of kinds with the other tables' (Dict, List, Namespace).
const KindSet = shm.KindSet

// Set is a shared set of strings, Python's MutableSet (set() through a
// manager): Add, Discard, Remove, Contains, Len, Pop, Clear, Update and
// iteration. It is a Dict of members with empty values, under an object
// kind of its own (a typed open of the wrong kind fails), with the Dict's
// properties: operations on one member are atomic and linearizable,
// Contains is lock-free, Update is all or nothing, iteration is weakly
// consistent, and a process killed at any point leaves each member in or
// out, never torn.
type Set struct {
	d *Dict
}

// SetOptions size a Set at creation.
type SetOptions struct {
	// Members is the most members (default 1024); Bytes the arena
	// (default max(256×Members, 1 MiB)); MaxMember bounds a member's
	// length (default 1 KiB, at most 64 KiB); Stripes the locks (default
	// 64).
	Members, Bytes, MaxMember, Stripes int
}

func (o *SetOptions) table() *Options {
	var v SetOptions
	if o != nil {
		v = *o
	}
	// MaxValue 1, not 0 (which takes the 64 KiB default): members carry no
	// value, and the largest block sizes the arena's minimum.
	return &Options{Entries: v.Members, Bytes: v.Bytes, MaxKey: v.MaxMember, MaxValue: 1, Stripes: v.Stripes}
}

// SharedBytes returns the bytes of shared memory a Set made with these
// options takes in its segment.
func (o *SetOptions) SharedBytes() (int, error) { return o.table().SharedBytes() }

// NewSet allocates an empty Set called name in seg; os.ErrExist if seg has
// an object of that name.
func NewSet(seg *shm.Segment, name string, opts *SetOptions) (*Set, error) {
	if opts != nil && (opts.Members < 0 || opts.Bytes < 0 || opts.MaxMember < 0 || opts.Stripes < 0) {
		return nil, fmt.Errorf("negative set option %+v: %w", *opts, os.ErrInvalid)
	}
	t, err := allocTable(seg, name, KindSet, opts.table())
	if err != nil {
		return nil, err
	}
	return &Set{&Dict{t}}, nil
}

// OpenSet finds the Set called name in seg.
func OpenSet(seg *shm.Segment, name string) (*Set, error) {
	t, err := lookupTable(seg, name, KindSet)
	if err != nil {
		return nil, err
	}
	return &Set{&Dict{t}}, nil
}

// Add adds member and reports whether it was not there before.
func (s *Set) Add(ctx context.Context, member string) (added bool, err error) {
	err = s.d.t.with(ctx, bytesOf(member), func(sl *slot) error {
		if sl.found {
			return nil
		}
		added = true
		return sl.put(nil)
	})
	return added && err == nil, err
}

// Discard removes member if present and reports whether it was.
func (s *Set) Discard(ctx context.Context, member string) (bool, error) {
	return s.d.Delete(ctx, member)
}

// Remove removes member; ErrNotFound if absent (Python's KeyError).
func (s *Set) Remove(ctx context.Context, member string) error {
	ok, err := s.d.Delete(ctx, member)
	if err == nil && !ok {
		err = fmt.Errorf("set %s: member %q: %w", s.Name(), truncate(member), ErrNotFound)
	}
	return err
}

// Contains reports whether member is in the set (Python's in), without
// a lock.
func (s *Set) Contains(ctx context.Context, member string) (bool, error) {
	return s.d.Contains(ctx, member)
}

// Len returns the number of members.
func (s *Set) Len(ctx context.Context) (int, error) { return s.d.Len(ctx) }

// Pop removes and returns some member; ErrNotFound when the set is empty
// (Python's KeyError). Which member is not specified (see Dict.PopItem).
func (s *Set) Pop(ctx context.Context) (string, error) {
	m, _, ok, err := s.d.PopItem(ctx)
	if err == nil && !ok {
		err = fmt.Errorf("pop from the empty set %s: %w", s.Name(), ErrNotFound)
	}
	return m, err
}

// Update adds every member, all or (ErrFull, ErrTooLarge) none: Python's
// update and |=.
func (s *Set) Update(ctx context.Context, members ...string) error {
	items := make(map[string][]byte, len(members))
	for _, m := range members {
		items[m] = nil
	}
	return s.d.SetMany(ctx, items)
}

// Clear removes every member, atomically.
func (s *Set) Clear(ctx context.Context) error { return s.d.Clear(ctx) }

// All yields every member (weakly consistent: see Dict).
func (s *Set) All(ctx context.Context) iter.Seq[string] { return s.d.Keys(ctx) }

// Snapshot returns the members, sorted, taken atomically.
func (s *Set) Snapshot(ctx context.Context) ([]string, error) {
	m, err := s.d.Snapshot(ctx)
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out, nil
}

// String describes s as `Set "tags" (3 members)`, read without a lock.
func (s *Set) String() string {
	return fmt.Sprintf("Set %q (%s)", s.Name(), plural(s.d.t.stats().Entries, "member"))
}

// Name returns the set's object name.
func (s *Set) Name() string { return s.d.Name() }

// Handle returns the shm handle of the set's object.
func (s *Set) Handle() shm.Handle { return s.d.Handle() }

// MarshalBinary encodes the set's handle (gob uses it).
func (s *Set) MarshalBinary() ([]byte, error) { return s.d.MarshalBinary() }

// UnmarshalBinary attaches the Set a handle names, in this process.
func (s *Set) UnmarshalBinary(b []byte) error { return shm.UnmarshalHandle(b, s) }

// AttachHandle attaches s to the Set h names (see shm.AttachAs).
func (s *Set) AttachHandle(h shm.Handle) error {
	t, err := attachTable(h, KindSet)
	if err != nil {
		return err
	}
	s.d = &Dict{t}
	return nil
}
