package table

import (
	"encoding/binary"
	"errors"
	"fmt"
)

// The List's crash protocol for operations that move elements.
//
// Every List operation holds the list's one lock, and first settles what
// a process killed in the middle of an operation left (settle). A settled
// list holds exactly its length record and its elements 0…n-1, so the
// stripe's entry count says in O(1) whether anything else is there.
//
// Operations that write one element, or add or take elements at the end,
// need no journal: an element past the length is invisible, so Append and
// Extend write theirs first and commit with the length, and Pop of the
// last element commits with the length, then deletes it. Killed before
// the length, they leave elements past the end, which settle deletes.
//
// An operation that moves elements (Insert, Delete and Pop(i) before the
// end, Remove, Reverse, SetSlice, Update) is a rewrite: it replaces the
// elements of a window [lo, lo+m) by new values, sets the length to
// newLen and deletes any element from newLen to the old length. In three
// steps:
//
//  1. Stage: write the window's new values under staged keys 0…m-1
//     (invisible: no reader looks there). A failure (ErrFull, ErrTooLarge)
//     deletes them and leaves the list as it was.
//  2. Commit: write the journal record {lo, m, newLen, oldLen}. One put,
//     so one atomic store: from here the operation has happened.
//  3. Apply: for each staged j still there, copy it to element lo+j, then
//     delete it; then set the length, delete the elements past it, and
//     delete the journal record.
//
// Apply is idempotent: a staged value is deleted only after it was copied,
// and its source is the staged copy, never an element another step
// overwrites, so a settle that finds the journal after a crash (or after an
// apply that ran out of room) runs apply again from the start. A settle
// that finds staged values without a journal (killed while staging)
// deletes them: the operation did not happen.
//
// Why the entry count tells: while the journal exists the count exceeds
// the length + 1 (the journal is one entry, and apply deletes elements only
// after the length no longer covers them — so the length is set before the
// tail is deleted; the other order would leave, after a Delete killed at
// the wrong instant, one element short and the count matching).
//
// The obvious-but-wrong version: shift the elements in place (Insert
// copies element k to k+1 from the end down). Killed midway it leaves one
// element twice and no record of how far it got; a step counter in a
// journal would cost a second write per element anyway.
//
// Capacity: staging needs room for the window's values next to the
// elements they replace, so a List's table has 2×Len+2 entries (Len
// elements, as many staged, the length and the journal) and its default
// arena is twice a Dict's per entry.

// journal is the commit record of a rewrite.
type journal struct {
	lo, m, newLen, oldLen int
}

const journalSize = 32

func (j journal) encode() []byte {
	b := make([]byte, 0, journalSize)
	for _, x := range []int{j.lo, j.m, j.newLen, j.oldLen} {
		b = binary.BigEndian.AppendUint64(b, uint64(x))
	}
	return b
}

func decodeJournal(b []byte, capacity int) (journal, error) {
	if len(b) != journalSize {
		return journal{}, fmt.Errorf("list journal of %d bytes: %w", len(b), ErrCorrupt)
	}
	var x [4]uint64
	for i := range x {
		x[i] = binary.BigEndian.Uint64(b[8*i:])
		if x[i] > uint64(capacity) {
			return journal{}, fmt.Errorf("list journal %v: %w", x, ErrCorrupt)
		}
	}
	j := journal{int(x[0]), int(x[1]), int(x[2]), int(x[3])}
	if j.lo+j.m > j.newLen {
		return journal{}, fmt.Errorf("list journal %+v: %w", j, ErrCorrupt)
	}
	return j, nil
}

// source is where a rewrite takes a new value from: element from of the
// list (read at staging), or v when from < 0.
type source struct {
	from int
	v    []byte
}

// fromList is the sources of elements a…b-1, in order.
func fromList(a, b int) []source {
	src := make([]source, 0, max(b-a, 0))
	for i := a; i < b; i++ {
		src = append(src, source{from: i})
	}
	return src
}

// values is the sources of vals, in order.
func values(vals [][]byte) []source {
	src := make([]source, len(vals))
	for i, v := range vals {
		src[i] = source{from: -1, v: v}
	}
	return src
}

// rewrite replaces elements lo…lo+len(src)-1 of a list of n by the values
// of src and sets the length to newLen (see above). Once it has committed
// it returns nil even if apply ran out of room: the operation has happened,
// and the next settle finishes it.
func (l *List) rewrite(s *stripe, n, lo, newLen int, src []source) error {
	if err := l.full(0, newLen); err != nil {
		return err
	}
	for j, sc := range src {
		v, err := sc.v, error(nil)
		if sc.from >= 0 {
			v, err = l.elem(s, sc.from) // a view: staging frees nothing
		}
		if err == nil {
			k := stagedKey(j)
			err = l.put(s, k[:], v)
		}
		if err != nil {
			l.unstage(s, j)
			return err
		}
	}
	j := journal{lo: lo, m: len(src), newLen: newLen, oldLen: n}
	if err := l.put(s, journalKey, j.encode()); err != nil {
		l.unstage(s, len(src))
		return err
	}
	if err := l.apply(s, j); err != nil && !errors.Is(err, ErrFull) {
		return err
	}
	return nil
}

// unstage deletes staged values 0…m-1.
func (l *List) unstage(s *stripe, m int) {
	for j := range m {
		k := stagedKey(j)
		l.del(s, k[:])
	}
}

// apply is step 3; it may run again after a crash at any point of it.
func (l *List) apply(s *stripe, j journal) error {
	for i := range j.m {
		sk := stagedKey(i)
		v, ok, err := l.get(s, sk[:])
		if err != nil {
			return err
		}
		if !ok {
			continue // copied before a crash
		}
		ek := elemKey(j.lo + i)
		if err := l.put(s, ek[:], v); err != nil {
			return err
		}
		if err := l.del(s, sk[:]); err != nil {
			return err
		}
	}
	if err := l.setLength(s, j.newLen); err != nil {
		return err
	}
	for k := j.newLen; k < j.oldLen; k++ {
		ek := elemKey(k)
		if err := l.del(s, ek[:]); err != nil {
			return err
		}
	}
	return l.del(s, journalKey)
}

// settle returns the length, after finishing or undoing what a process
// killed in an operation left. The check is one load; the repair walks the
// table.
func (l *List) settle(s *stripe) (int, error) {
	n, hasLen, err := l.length(s)
	if err != nil {
		return 0, err
	}
	want := uint64(n)
	if hasLen {
		want++
	}
	if loadCount(s) == want {
		return n, nil
	}
	return l.settleSlow(s, n)
}

func (l *List) settleSlow(s *stripe, n int) (int, error) {
	v, ok, err := l.get(s, journalKey)
	if err != nil {
		return 0, err
	}
	if ok {
		j, err := decodeJournal(v, l.cap())
		if err != nil {
			return 0, err
		}
		if err := l.apply(s, j); err != nil {
			return 0, err
		}
		n = j.newLen
	}
	return n, l.sweep(s, n)
}

// sweep deletes every record but the length and elements 0…n-1: staged
// values of a rewrite that never committed, elements past the end.
func (l *List) sweep(s *stripe, n int) error {
	var junk [][]byte
	err := l.t.walkStripe(0, func(bl block) {
		k := l.t.key(bl)
		if len(k) == 0 || (len(k) == 8 && binary.BigEndian.Uint64(k) < uint64(n)) {
			return
		}
		junk = append(junk, append([]byte(nil), k...))
	})
	if err != nil {
		return err
	}
	for _, k := range junk {
		if err := l.del(s, k); err != nil {
			return err
		}
	}
	return nil
}
