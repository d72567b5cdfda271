package table

import (
	"bytes"
	"context"
	"errors"
	"fmt"
)

// The rest of Python's MutableSequence: the operations that search the
// list or move its elements. Those that move elements are rewrites
// (list_journal.go): all or nothing, even across a kill -9.

// maxIndex is "to the end" for Slice and SetSlice: Slice(ctx, 2, maxIndex)
// is Python's a[2:]. Any index past the end means the end.
const maxIndex = int(^uint(0) >> 1)

// bounds resolves Python slice bounds over a list of n: negative counts
// from the end, anything past either end is that end, and j before i is
// an empty slice at i.
func bounds(i, j, n int) (lo, hi int) {
	clamp := func(x int) int {
		if x < 0 {
			x += n
		}
		return min(max(x, 0), n)
	}
	lo, hi = clamp(i), clamp(j)
	return lo, max(lo, hi)
}

// Insert inserts v before element i, Python's insert: negative counts from
// the end, and an index past either end inserts there.
func (l *List) Insert(ctx context.Context, i int, v []byte) error {
	return l.locked(ctx, func(s *stripe, n int) error {
		i, _ := bounds(i, i, n)
		if i == n {
			return l.extend(s, n, [][]byte{v})
		}
		if err := l.full(n, 1); err != nil {
			return err
		}
		src := append([]source{{from: -1, v: v}}, fromList(i, n)...)
		return l.rewrite(s, n, i, n+1, src)
	})
}

// Delete removes element i (negative counts from the end), Python's
// del a[i]; an index out of range is ErrNotFound.
func (l *List) Delete(ctx context.Context, i int) error {
	return l.locked(ctx, func(s *stripe, n int) error {
		i, err := l.index(i, n)
		if err != nil {
			return err
		}
		return l.remove(s, n, i)
	})
}

// Remove removes the first element equal to v, Python's remove;
// ErrNotFound if there is none.
func (l *List) Remove(ctx context.Context, v []byte) error {
	return l.locked(ctx, func(s *stripe, n int) error {
		i, err := l.find(s, n, v)
		if err != nil {
			return err
		}
		return l.remove(s, n, i)
	})
}

// Index returns the index of the first element equal to v, Python's
// index; ErrNotFound if there is none.
func (l *List) Index(ctx context.Context, v []byte) (int, error) {
	var i int
	err := l.locked(ctx, func(s *stripe, n int) (err error) {
		i, err = l.find(s, n, v)
		return err
	})
	return i, err
}

func (l *List) find(s *stripe, n int, v []byte) (int, error) {
	for i := range n {
		e, err := l.elem(s, i)
		if err != nil {
			return 0, err
		}
		if bytes.Equal(e, v) {
			return i, nil
		}
	}
	return 0, fmt.Errorf("list %s: %d-byte value: %w", l.Name(), len(v), ErrNotFound)
}

// Count returns how many elements equal v.
func (l *List) Count(ctx context.Context, v []byte) (int, error) {
	var c int
	err := l.locked(ctx, func(s *stripe, n int) error {
		for i := range n {
			e, err := l.elem(s, i)
			if err != nil {
				return err
			}
			if bytes.Equal(e, v) {
				c++
			}
		}
		return nil
	})
	return c, err
}

// Contains reports whether an element equals v (Python's in).
func (l *List) Contains(ctx context.Context, v []byte) (bool, error) {
	_, err := l.Index(ctx, v)
	if errors.Is(err, ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// Reverse reverses the list in place.
func (l *List) Reverse(ctx context.Context) error {
	return l.locked(ctx, func(s *stripe, n int) error {
		if n < 2 {
			return nil
		}
		src := make([]source, n)
		for i := range src {
			src[i] = source{from: n - 1 - i}
		}
		return l.rewrite(s, n, 0, n, src)
	})
}

// Slice returns copies of elements i…j-1, taken atomically, with Python's
// slice bounds: negative counts from the end, past either end is that end
// (Slice(ctx, 2, math.MaxInt) is a[2:]).
func (l *List) Slice(ctx context.Context, i, j int) ([][]byte, error) {
	var out [][]byte
	err := l.locked(ctx, func(s *stripe, n int) error {
		lo, hi := bounds(i, j, n)
		out = make([][]byte, 0, hi-lo)
		for k := lo; k < hi; k++ {
			e, err := l.elem(s, k)
			if err != nil {
				return err
			}
			out = append(out, bytes.Clone(e))
		}
		return nil
	})
	return out, err
}

// SetSlice replaces elements i…j-1 by vals (any number), Python's
// a[i:j] = vals, with Slice's bounds; all or (ErrFull, ErrTooLarge) none.
func (l *List) SetSlice(ctx context.Context, i, j int, vals ...[]byte) error {
	return l.locked(ctx, func(s *stripe, n int) error {
		lo, hi := bounds(i, j, n)
		newLen := n - (hi - lo) + len(vals)
		switch {
		case len(vals) == 0 && hi == lo:
			return nil
		case lo == n:
			return l.extend(s, n, vals)
		case len(vals) == hi-lo:
			return l.rewrite(s, n, lo, n, values(vals)) // the tail stays
		}
		return l.rewrite(s, n, lo, newLen, append(values(vals), fromList(hi, n)...))
	})
}

// DeleteSlice removes elements i…j-1, Python's del a[i:j], with Slice's
// bounds.
func (l *List) DeleteSlice(ctx context.Context, i, j int) error {
	return l.SetSlice(ctx, i, j)
}

// Update replaces the whole list atomically by what fn returns: fn gets a
// copy of every element (Python's a[:] = f(a[:]) without a window between
// the read and the write; sorting, a *= 2). fn runs with the list's lock
// held: it must be quick and must not use this list.
func (l *List) Update(ctx context.Context, fn func(vals [][]byte) [][]byte) error {
	return l.locked(ctx, func(s *stripe, n int) error {
		old := make([][]byte, n)
		for i := range n {
			e, err := l.elem(s, i)
			if err != nil {
				return err
			}
			old[i] = bytes.Clone(e)
		}
		nv := fn(old)
		if len(nv) == 0 && n == 0 {
			return nil
		}
		return l.rewrite(s, n, 0, len(nv), values(nv))
	})
}
