package table

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/shmkit/shmkit/process"
	"github.com/shmkit/shmkit/shm"
)

func TestSetBasics(t *testing.T) {
	ctx := testCtx(t)
	seg := newSeg(t, 8<<20)
	s, err := NewSet(seg, "s", &SetOptions{Members: 8, Stripes: 2})
	if err != nil {
		t.Fatal(err)
	}
	if added, err := s.Add(ctx, "a"); !added || err != nil {
		t.Fatalf("Add a = %v %v", added, err)
	}
	if added, _ := s.Add(ctx, "a"); added {
		t.Fatal("Add of a member reported it new")
	}
	if err := s.Update(ctx, "b", "c", "a"); err != nil {
		t.Fatal(err)
	}
	if ok, _ := s.Contains(ctx, "c"); !ok {
		t.Fatal("Contains c = false")
	}
	if ok, _ := s.Discard(ctx, "zz"); ok {
		t.Fatal("Discard of a non-member reported true")
	}
	if err := s.Remove(ctx, "zz"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Remove of a non-member: %v, want ErrNotFound", err)
	}
	if err := s.Remove(ctx, "b"); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Snapshot(ctx); !slices.Equal(got, []string{"a", "c"}) {
		t.Fatalf("Snapshot = %v", got)
	}
	var all []string
	for m := range s.All(ctx) {
		all = append(all, m)
	}
	if sort.Strings(all); !slices.Equal(all, []string{"a", "c"}) {
		t.Fatalf("All = %v", all)
	}
	if got := s.String(); got != `Set "s" (2 members)` {
		t.Fatalf("String = %q", got)
	}
	if err := s.Update(ctx, "1", "2", "3", "4", "5", "6", "7"); !errors.Is(err, ErrFull) {
		t.Fatalf("Update past Members: %v, want ErrFull", err)
	}
	if n, _ := s.Len(ctx); n != 2 {
		t.Fatalf("Len after a refused Update = %d, want 2", n)
	}
	if _, err := s.Add(ctx, strings.Repeat("k", 2000)); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("a member over MaxMember: %v, want ErrTooLarge", err)
	}
	for range 2 {
		if _, err := s.Pop(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.Pop(ctx); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Pop of an empty set: %v, want ErrNotFound", err)
	}
	// A Set is no Dict, and a Dict no Set.
	if _, err := OpenDict(seg, "s"); !errors.Is(err, shm.ErrWrongKind) {
		t.Fatalf("OpenDict of a set: %v", err)
	}
	NewDict(seg, "d", &Options{Entries: 4})
	if _, err := OpenSet(seg, "d"); !errors.Is(err, shm.ErrWrongKind) {
		t.Fatalf("OpenSet of a dict: %v", err)
	}
	if got := KindSet.String(); got != "set" {
		t.Fatalf("KindSet is named %q", got)
	}
}

func TestPopItem(t *testing.T) {
	ctx := testCtx(t)
	d := newTestDict(t, &Options{Entries: 100, Stripes: 8})
	if _, _, ok, err := d.PopItem(ctx); ok || err != nil {
		t.Fatalf("PopItem of an empty dict = %v %v", ok, err)
	}
	want := map[string]string{}
	for i := range 50 {
		k := fmt.Sprint("k", i)
		want[k] = fmt.Sprint("v", i)
		d.Set(ctx, k, []byte(want[k]))
	}
	for range 50 {
		k, v, ok, err := d.PopItem(ctx)
		if err != nil || !ok || want[k] != string(v) {
			t.Fatalf("PopItem = %q %q %v %v", k, v, ok, err)
		}
		delete(want, k)
	}
	if len(want) != 0 {
		t.Fatalf("%d keys never popped", len(want))
	}
	if n, _ := d.Len(ctx); n != 0 {
		t.Fatalf("Len after popping all = %d", n)
	}
}

type setArg struct {
	S      *Set
	ID, N  int
	Popper bool
}

// setWorker adds N members of its own, or (a popper) pops until the set
// is empty and returns what it popped.
var setWorker = process.Register("table.setWorker", func(ctx context.Context, a setArg) ([]string, error) {
	if !a.Popper {
		for i := range a.N {
			if _, err := a.S.Add(ctx, fmt.Sprintf("p%d-%d", a.ID, i)); err != nil {
				return nil, err
			}
		}
		return nil, nil
	}
	var got []string
	for {
		m, err := a.S.Pop(ctx)
		if errors.Is(err, ErrNotFound) {
			return got, nil
		}
		if err != nil {
			return got, err
		}
		got = append(got, m)
	}
})

// TestSetProcesses: members added by several processes are all there;
// popped by several processes at once, each comes out exactly once.
func TestSetProcesses(t *testing.T) {
	ctx := testCtx(t)
	const procs, n = 3, 500
	s, err := NewSet(newSeg(t, 8<<20), "s", &SetOptions{Members: procs * n, Stripes: 8})
	if err != nil {
		t.Fatal(err)
	}
	run := func(popper bool) [][]string {
		var ps []*process.Process
		for i := range procs {
			p, err := process.Start(ctx, setWorker, setArg{S: s, ID: i, N: n, Popper: popper})
			if err != nil {
				t.Fatal(err)
			}
			ps = append(ps, p)
		}
		var out [][]string
		for _, p := range ps {
			r, err := process.Wait[[]string](ctx, p)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, r)
		}
		return out
	}
	run(false)
	if l, _ := s.Len(ctx); l != procs*n {
		t.Fatalf("Len = %d, want %d", l, procs*n)
	}
	seen := map[string]bool{}
	for _, got := range run(true) {
		for _, m := range got {
			if seen[m] {
				t.Fatalf("%s popped twice", m)
			}
			seen[m] = true
		}
	}
	if len(seen) != procs*n {
		t.Fatalf("%d members popped, want %d", len(seen), procs*n)
	}
}
