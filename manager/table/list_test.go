package table

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
)

// pyList is the model: Python's list semantics over a Go slice.
type pyList [][]byte

func pyIndex(i, n int) (int, bool) {
	if i < 0 {
		i += n
	}
	return i, i >= 0 && i < n
}

// listOp is one operation applied to both the List and the model; it
// reports the model's error expectation (true: ErrNotFound).
type listOp struct {
	name string
	do   func(ctx context.Context, l *List, m *pyList, r *rand.Rand) error
}

func val(r *rand.Rand) []byte {
	return []byte(fmt.Sprintf("v%d%s", r.IntN(20), bytes.Repeat([]byte{'x'}, r.IntN(40))))
}

var listOps = []listOp{
	{"Append", func(ctx context.Context, l *List, m *pyList, r *rand.Rand) error {
		v := val(r)
		i, err := l.Append(ctx, v)
		if err == nil && i != len(*m) {
			return fmt.Errorf("Append index %d, want %d", i, len(*m))
		}
		*m = append(*m, v)
		return err
	}},
	{"Extend", func(ctx context.Context, l *List, m *pyList, r *rand.Rand) error {
		vs := [][]byte{val(r), val(r), val(r)}
		*m = append(*m, vs...)
		return l.Extend(ctx, vs...)
	}},
	{"Insert", func(ctx context.Context, l *List, m *pyList, r *rand.Rand) error {
		i, v := r.IntN(len(*m)+6)-3, val(r)
		lo, _ := bounds(i, i, len(*m))
		*m = slices.Insert(*m, lo, v)
		return l.Insert(ctx, i, v)
	}},
	{"Pop", func(ctx context.Context, l *List, m *pyList, r *rand.Rand) error {
		i := r.IntN(len(*m)+4) - 2
		if r.IntN(3) == 0 {
			i = -1
		}
		got, err := l.Pop(ctx, i)
		j, ok := pyIndex(i, len(*m))
		if !ok {
			return wantNotFound(err)
		}
		want := (*m)[j]
		*m = slices.Delete(*m, j, j+1)
		if err == nil && !bytes.Equal(got, want) {
			return fmt.Errorf("Pop(%d) = %q, want %q", i, got, want)
		}
		return err
	}},
	{"Delete", func(ctx context.Context, l *List, m *pyList, r *rand.Rand) error {
		i := r.IntN(len(*m)+4) - 2
		err := l.Delete(ctx, i)
		j, ok := pyIndex(i, len(*m))
		if !ok {
			return wantNotFound(err)
		}
		*m = slices.Delete(*m, j, j+1)
		return err
	}},
	{"Remove", func(ctx context.Context, l *List, m *pyList, r *rand.Rand) error {
		v := []byte(fmt.Sprintf("v%d", r.IntN(20)))
		if len(*m) > 0 && r.IntN(2) == 0 {
			v = (*m)[r.IntN(len(*m))]
		}
		err := l.Remove(ctx, v)
		j := slices.IndexFunc(*m, func(e []byte) bool { return bytes.Equal(e, v) })
		if j < 0 {
			return wantNotFound(err)
		}
		*m = slices.Delete(*m, j, j+1)
		return err
	}},
	{"Index", func(ctx context.Context, l *List, m *pyList, r *rand.Rand) error {
		if len(*m) == 0 {
			return nil
		}
		v := (*m)[r.IntN(len(*m))]
		i, err := l.Index(ctx, v)
		if want := slices.IndexFunc(*m, func(e []byte) bool { return bytes.Equal(e, v) }); err == nil && i != want {
			return fmt.Errorf("Index = %d, want %d", i, want)
		}
		c, err2 := l.Count(ctx, v)
		want := 0
		for _, e := range *m {
			if bytes.Equal(e, v) {
				want++
			}
		}
		if err2 == nil && c != want {
			return fmt.Errorf("Count = %d, want %d", c, want)
		}
		return errors.Join(err, err2)
	}},
	{"Set", func(ctx context.Context, l *List, m *pyList, r *rand.Rand) error {
		i, v := r.IntN(len(*m)+4)-2, val(r)
		err := l.Set(ctx, i, v)
		j, ok := pyIndex(i, len(*m))
		if !ok {
			return wantNotFound(err)
		}
		(*m)[j] = v
		return err
	}},
	{"Reverse", func(ctx context.Context, l *List, m *pyList, r *rand.Rand) error {
		slices.Reverse(*m)
		return l.Reverse(ctx)
	}},
	{"SetSlice", func(ctx context.Context, l *List, m *pyList, r *rand.Rand) error {
		n := len(*m)
		i, j := r.IntN(n+4)-2, r.IntN(n+4)-2
		vs := make([][]byte, r.IntN(4))
		for k := range vs {
			vs[k] = val(r)
		}
		lo, hi := bounds(i, j, n)
		*m = slices.Concat((*m)[:lo:lo], vs, (*m)[hi:])
		return l.SetSlice(ctx, i, j, vs...)
	}},
	{"DeleteSlice", func(ctx context.Context, l *List, m *pyList, r *rand.Rand) error {
		n := len(*m)
		i, j := r.IntN(n+2)-1, r.IntN(n+2)-1
		lo, hi := bounds(i, j, n)
		*m = slices.Delete(*m, lo, hi)
		return l.DeleteSlice(ctx, i, j)
	}},
	{"Update", func(ctx context.Context, l *List, m *pyList, r *rand.Rand) error {
		// a *= 2, kept within the capacity.
		if len(*m) > 20 {
			*m = (*m)[:10]
			return l.Update(ctx, func(vs [][]byte) [][]byte { return vs[:10] })
		}
		*m = append(*m, *m...)
		return l.Update(ctx, func(vs [][]byte) [][]byte { return append(vs, vs...) })
	}},
}

func wantNotFound(err error) error {
	if !errors.Is(err, ErrNotFound) {
		return fmt.Errorf("got %v, want ErrNotFound", err)
	}
	return nil
}

// checkList compares l with the model and checks that l is settled: no
// record but the length and the elements.
func checkList(t *testing.T, ctx context.Context, l *List, m pyList) {
	t.Helper()
	got, err := l.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.EqualFunc(got, m, bytes.Equal) {
		t.Fatalf("list %q\nwant %q", got, m)
	}
	if n, err := l.Len(ctx); err != nil || n != len(m) {
		t.Fatalf("Len = %d %v, want %d", n, err, len(m))
	}
	if c := loadCount(l.t.stripe(0)); c != uint64(len(m)+1) && (c != 0 || len(m) != 0) {
		t.Fatalf("%d records for %d elements: not settled", c, len(m))
	}
}

// TestListSequence runs random MutableSequence operations on a List and on
// Python's semantics over a slice, and compares after each.
func TestListSequence(t *testing.T) {
	ctx := testCtx(t)
	l, err := NewList(newSeg(t, 8<<20), "l", &ListOptions{Len: 24, MaxValue: 128})
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(1, 2))
	var m pyList
	counts := map[string]int{}
	for step := range 3000 {
		op := listOps[r.IntN(len(listOps))]
		before := slices.Clone(m)
		err := op.do(ctx, l, &m, r)
		if errors.Is(err, ErrFull) {
			m = before // refused: nothing changed
			checkList(t, ctx, l, m)
			counts["full"]++
			continue
		}
		if err != nil {
			t.Fatalf("step %d %s on %q: %v", step, op.name, before, err)
		}
		counts[op.name]++
		checkList(t, ctx, l, m)
	}
	t.Logf("operations: %v", counts)
	if counts["full"] == 0 {
		t.Error("the list never filled up: capacity untested")
	}
}

// TestListCrashPoints stops a rewrite (Insert, Delete, Reverse, SetSlice)
// before each of its writes in turn, as a kill -9 there would, and checks
// that the next operation finds the list as it was before the call or as
// it is after, and settled.
func TestListCrashPoints(t *testing.T) {
	ctx := testCtx(t)
	base := pyList{[]byte("a"), []byte("b"), []byte("c"), []byte("d"), []byte("e")}
	type crash struct{}
	cases := []struct {
		name  string
		do    func(l *List) error
		after pyList
	}{
		{"Insert", func(l *List) error { return l.Insert(ctx, 1, []byte("X")) },
			pyList{[]byte("a"), []byte("X"), []byte("b"), []byte("c"), []byte("d"), []byte("e")}},
		{"Delete", func(l *List) error { return l.Delete(ctx, 1) },
			pyList{[]byte("a"), []byte("c"), []byte("d"), []byte("e")}},
		{"PopLast", func(l *List) error { _, err := l.Pop(ctx, -1); return err },
			pyList{[]byte("a"), []byte("b"), []byte("c"), []byte("d")}},
		{"Extend", func(l *List) error { return l.Extend(ctx, []byte("Y"), []byte("Z")) },
			pyList{[]byte("a"), []byte("b"), []byte("c"), []byte("d"), []byte("e"), []byte("Y"), []byte("Z")}},
		{"Reverse", func(l *List) error { return l.Reverse(ctx) },
			pyList{[]byte("e"), []byte("d"), []byte("c"), []byte("b"), []byte("a")}},
		{"SetSlice", func(l *List) error { return l.SetSlice(ctx, 1, 4, []byte("Q")) },
			pyList{[]byte("a"), []byte("Q"), []byte("e")}},
		{"Truncate", func(l *List) error { return l.DeleteSlice(ctx, 2, maxIndex) },
			pyList{[]byte("a"), []byte("b")}},
	}
	defer func() { hookListWrite = nil }()
	for _, c := range cases {
		seg := newSeg(t, 4<<20)
		for stop := 0; ; stop++ {
			l, err := NewList(seg, fmt.Sprint("l", stop), &ListOptions{Len: 16, Bytes: 64 << 10, MaxValue: 64})
			if err != nil {
				t.Fatal(err)
			}
			if err := l.Extend(ctx, base...); err != nil {
				t.Fatal(err)
			}
			writes := 0
			hookListWrite = func([]byte) error {
				if writes == stop {
					panic(crash{})
				}
				writes++
				return nil
			}
			crashed := func() (crashed bool) {
				defer func() {
					if r := recover(); r != nil {
						if _, ok := r.(crash); !ok {
							panic(r)
						}
						crashed = true
					}
				}()
				if err := c.do(l); err != nil {
					t.Fatalf("%s: %v", c.name, err)
				}
				return false
			}()
			hookListWrite = nil
			got, err := l.Snapshot(ctx)
			if err != nil {
				t.Fatalf("%s stopped before write %d: %v", c.name, stop, err)
			}
			isBefore, isAfter := slices.EqualFunc(got, base, bytes.Equal), slices.EqualFunc(got, c.after, bytes.Equal)
			if !isBefore && !isAfter {
				t.Fatalf("%s stopped before write %d: list %q, neither before nor after", c.name, stop, got)
			}
			checkList(t, ctx, l, got)
			// And the list goes on.
			if _, err := l.Append(ctx, []byte("z")); err != nil {
				t.Fatalf("%s stopped before write %d: Append after: %v", c.name, stop, err)
			}
			if !crashed {
				if !isAfter {
					t.Fatalf("%s ran whole: list %q", c.name, got)
				}
				t.Logf("%s: %d writes, each a crash point", c.name, stop)
				break
			}
		}
	}
}

// TestListFullUnchanged: an Insert, Reverse or Update that cannot stage
// its values (arena full) is ErrFull and changes nothing.
func TestListFullUnchanged(t *testing.T) {
	ctx := testCtx(t)
	l, err := NewList(newSeg(t, 8<<20), "l", &ListOptions{Len: 64, Bytes: 8 << 10, MaxValue: 1000})
	if err != nil {
		t.Fatal(err)
	}
	var m pyList
	for i := 0; ; i++ {
		v := bytes.Repeat([]byte{byte('a' + i)}, 700)
		if _, err := l.Append(ctx, v); errors.Is(err, ErrFull) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		m = append(m, v)
	}
	if len(m) < 4 {
		t.Fatalf("only %d elements fit", len(m))
	}
	for _, op := range []func() error{
		func() error { return l.Insert(ctx, 0, []byte("x")) },
		func() error { return l.Reverse(ctx) },
		func() error { return l.Update(ctx, func(vs [][]byte) [][]byte { return append(vs, vs...) }) },
	} {
		if err := op(); !errors.Is(err, ErrFull) {
			t.Fatalf("got %v, want ErrFull", err)
		}
		checkList(t, ctx, l, m)
	}
	// A Delete at the front stages the elements after it: ErrFull too. At
	// the end it stages nothing, and then the front has room.
	if err := l.Delete(ctx, 0); !errors.Is(err, ErrFull) {
		t.Fatalf("Delete(0) on a full arena: %v, want ErrFull", err)
	}
	checkList(t, ctx, l, m)
	for range 2 {
		if _, err := l.Pop(ctx, -1); err != nil {
			t.Fatalf("Pop on a full arena: %v", err)
		}
	}
	m = m[:len(m)-2]
	if err := l.Delete(ctx, 0); err != nil && !errors.Is(err, ErrFull) {
		t.Fatal(err)
	} else if err == nil {
		m = m[1:]
	}
	checkList(t, ctx, l, m)
}

func TestListBounds(t *testing.T) {
	for _, c := range []struct{ i, j, n, lo, hi int }{
		{0, 10, 5, 0, 5}, {-2, maxIndex, 5, 3, 5}, {-10, 2, 5, 0, 2}, {4, 1, 5, 4, 4}, {7, 9, 5, 5, 5}, {0, -1, 5, 0, 4},
	} {
		if lo, hi := bounds(c.i, c.j, c.n); lo != c.lo || hi != c.hi {
			t.Errorf("bounds(%d, %d, %d) = %d, %d, want %d, %d", c.i, c.j, c.n, lo, hi, c.lo, c.hi)
		}
	}
}

// TestListApplyFull: a rewrite whose staging finds no room (even after
// the Reclaim it runs) did not happen; one that runs out of room after its
// commit has happened (it returns nil), and the next operation finishes
// it.
func TestListApplyFull(t *testing.T) {
	ctx := testCtx(t)
	defer func() { hookListWrite = nil }()
	base := pyList{[]byte("a"), []byte("b"), []byte("c")}
	staged := func(k []byte) bool { return len(k) == 8 && k[0]&0x80 != 0 }
	for _, c := range []struct {
		name string
		fail func(key []byte, writes int) bool
		err  bool
		want pyList
	}{
		{"staging", func(k []byte, _ int) bool { return staged(k) }, true, base},
		// Insert(0) of 3: writes 0-3 stage, 4 commits, 5 on apply.
		{"applying", func(_ []byte, w int) bool { return w == 6 }, false, append(pyList{[]byte("X")}, base...)},
	} {
		l, err := NewList(newSeg(t, 4<<20), "l", &ListOptions{Len: 8, Bytes: 16 << 10, MaxValue: 64})
		if err != nil {
			t.Fatal(err)
		}
		l.Extend(ctx, base...)
		writes := 0
		hookListWrite = func(k []byte) error {
			writes++
			if c.fail(k, writes-1) {
				return ErrFull
			}
			return nil
		}
		err = l.Insert(ctx, 0, []byte("X"))
		hookListWrite = nil
		if (err != nil) != c.err || (err != nil && !errors.Is(err, ErrFull)) {
			t.Fatalf("Insert that fails %s: %v", c.name, err)
		}
		checkList(t, ctx, l, c.want)
	}
}
