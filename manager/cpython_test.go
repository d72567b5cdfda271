package manager

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"testing"

	"github.com/shmkit/shmkit/process"
	"github.com/shmkit/shmkit/ring"
)

// CPython's _TestContainers (Lib/test/_test_multiprocessing.py), ported:
// each test names the one it follows, and a child process does the part
// where another process matters.

func newManager(t *testing.T) *Manager {
	t.Helper()
	m, err := New(&Options{Size: 32 << 20})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	return m
}

func mustList(t *testing.T, m *Manager, name string, vals ...string) *TypedList[string] {
	t.Helper()
	l, err := m.List(name, &ListOptions{Len: 64})
	if err != nil {
		t.Fatal(err)
	}
	tl := TypedListOf[string](l, nil)
	if err := tl.Extend(testCtx(t), vals...); err != nil {
		t.Fatal(err)
	}
	return tl
}

func snap[V any](t *testing.T, l *TypedList[V]) []V {
	t.Helper()
	vs, err := l.Snapshot(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	return vs
}

func digits(n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprint(i)
	}
	return out
}

type appendArg struct {
	L *TypedList[string]
	V string
}

var appendTo = process.Register("manager.appendTo", func(ctx context.Context, a appendArg) (struct{}, error) {
	_, err := a.L.Append(ctx, a.V)
	return struct{}{}, err
})

// test_list: extend, slices, *=, a list of lists seeing its lists change
// (here by another process).
func TestCPythonList(t *testing.T) {
	ctx := testCtx(t)
	m := newManager(t)
	a := mustList(t, m, "a", digits(10)...)
	b := mustList(t, m, "b")
	if got := snap(t, b); len(got) != 0 {
		t.Fatalf("b[:] = %v", got)
	}
	b.Extend(ctx, digits(5)...)
	if v, _ := b.Get(ctx, 2); v != "2" {
		t.Fatalf("b[2] = %q", v)
	}
	if vs, _ := b.List().Slice(ctx, 2, 10); len(vs) != 3 || string(vs[0]) != "2" {
		t.Fatalf("b[2:10] = %q", vs)
	}
	b.List().Update(ctx, func(vs [][]byte) [][]byte { return append(vs, vs...) }) // b *= 2
	if got := snap(t, b); !slices.Equal(got, append(digits(5), digits(5)...)) {
		t.Fatalf("b after *= 2: %v", got)
	}
	ll, _ := m.List("e", nil)
	e := TypedListOf[*List](ll, nil)
	e.Extend(ctx, a.List(), b.List())
	var inner [][]string
	for _, l := range snap(t, e) {
		inner = append(inner, snap(t, TypedListOf[string](l, nil)))
	}
	if !slices.Equal(inner[0], digits(10)) || len(inner[1]) != 10 {
		t.Fatalf("[element[:] for element in e] = %v", inner)
	}
	fl, _ := m.List("f", nil)
	f := TypedListOf[*List](fl, nil)
	f.Append(ctx, a.List())
	if _, err := process.Run(ctx, appendTo, appendArg{a, "hello"}); err != nil {
		t.Fatal(err)
	}
	f0, err := f.Get(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := snap(t, TypedListOf[string](f0, nil)); !slices.Equal(got, append(digits(10), "hello")) {
		t.Fatalf("f[0][:] = %v", got)
	}
}

// test_list_iter: iteration reads the list as it is when it starts, so a
// change made between All and the loop shows. (A Go iterator is not
// exhausted: ranging again reads the list again.)
func TestCPythonListIter(t *testing.T) {
	ctx := testCtx(t)
	a := mustList(t, newManager(t), "a", digits(10)...)
	var got []string
	for _, v := range a.All(ctx) {
		got = append(got, v)
	}
	if !slices.Equal(got, digits(10)) {
		t.Fatalf("list(it) = %v", got)
	}
	it := a.All(ctx)
	a.Set(ctx, 0, "100")
	for _, v := range it {
		if v != "100" {
			t.Fatalf("next(it) = %q, want 100", v)
		}
		break
	}
}

type popArg struct {
	A *TypedList[*List]
}

// popInner is a[1].pop() in a child, through the list of lists.
var popInner = process.Register("manager.popInner", func(ctx context.Context, a popArg) (string, error) {
	inner, err := a.A.Get(ctx, 1)
	if err != nil {
		return "", err
	}
	return TypedListOf[string](inner, nil).Pop(ctx, -1)
})

// test_list_proxy_in_list: a list of three lists; a[0][-1] = 55 changes
// only a[0]; a[1].pop() (in a child) only a[1].
func TestCPythonListProxyInList(t *testing.T) {
	ctx := testCtx(t)
	m := newManager(t)
	outer, _ := m.List("a", nil)
	a := TypedListOf[*List](outer, nil)
	for i := range 3 {
		a.Append(ctx, mustList(t, m, fmt.Sprint("inner", i), digits(3)...).List())
	}
	a0, _ := a.Get(ctx, 0)
	if err := TypedListOf[string](a0, nil).Set(ctx, -1, "55"); err != nil {
		t.Fatal(err)
	}
	for i, want := range [][]string{{"0", "1", "55"}, digits(3), digits(3)} {
		ai, _ := a.Get(ctx, i)
		if got := snap(t, TypedListOf[string](ai, nil)); !slices.Equal(got, want) {
			t.Fatalf("a[%d][:] = %v, want %v", i, got, want)
		}
	}
	v, err := process.Run(ctx, popInner, popArg{a})
	if err != nil || v != "2" {
		t.Fatalf("a[1].pop() = %q %v", v, err)
	}
	for i, want := range []int{3, 2, 3} {
		ai, _ := a.Get(ctx, i)
		if n, _ := ai.Len(ctx); n != want {
			t.Fatalf("len(a[%d]) = %d, want %d", i, n, want)
		}
	}
}

// test_dict: keys, values, items and a copy.
func TestCPythonDict(t *testing.T) {
	ctx := testCtx(t)
	dd, _ := newManager(t).Dict("d", nil)
	d := Typed[string](dd, nil)
	want := map[string]string{}
	for i := 65; i < 70; i++ {
		d.Set(ctx, fmt.Sprint(i), string(rune(i)))
		want[fmt.Sprint(i)] = string(rune(i))
	}
	if got, _ := d.Snapshot(ctx); !maps.Equal(got, want) {
		t.Fatalf("d.copy() = %v", got)
	}
	if keys := slices.Sorted(d.Keys(ctx)); !slices.Equal(keys, slices.Sorted(maps.Keys(want))) {
		t.Fatalf("sorted(d.keys()) = %v", keys)
	}
	var vals []string
	for _, v := range d.Items(ctx) {
		vals = append(vals, v)
	}
	if slices.Sort(vals); !slices.Equal(vals, []string{"A", "B", "C", "D", "E"}) {
		t.Fatalf("sorted(d.values()) = %v", vals)
	}
}

type nestedArg struct {
	D *TypedDict[*LocalDict]
}

// setBlankets is d['supplies']['blankets'] = 5 in a child.
var setBlankets = process.Register("manager.setBlankets", func(ctx context.Context, a nestedArg) (struct{}, error) {
	s, ok, err := a.D.Get(ctx, "supplies")
	if err != nil || !ok {
		return struct{}{}, fmt.Errorf("d['supplies']: %v %v", ok, err)
	}
	return struct{}{}, Typed[int](s, nil).Set(ctx, "blankets", 5)
})

// test_dict_proxy_nested: a dict of dicts and a list of dicts, each
// change through the outer container seen through the inner proxy and
// back; clearing the outer dict leaves the inner ones whole.
func TestCPythonDictProxyNested(t *testing.T) {
	ctx := testCtx(t)
	m := newManager(t)
	mk := func(name string, kv map[string]int) *TypedDict[int] {
		d, err := m.Dict(name, &DictOptions{Entries: 16, Bytes: 64 << 10, MaxValue: 1 << 10, Stripes: 2})
		if err != nil {
			t.Fatal(err)
		}
		td := Typed[int](d, nil)
		for k, v := range kv {
			td.Set(ctx, k, v)
		}
		return td
	}
	pets := mk("pets", map[string]int{"ferrets": 2, "hamsters": 4})
	supplies := mk("supplies", map[string]int{"water": 10, "feed": 3})
	dd, _ := m.Dict("d", nil)
	d := Typed[*LocalDict](dd, nil)
	d.Set(ctx, "pets", pets.Dict().(*LocalDict))
	d.Set(ctx, "supplies", supplies.Dict().(*LocalDict))
	get := func(outer, inner string) int {
		t.Helper()
		o, ok, err := d.Get(ctx, outer)
		if err != nil || !ok {
			t.Fatalf("d[%q]: %v %v", outer, ok, err)
		}
		v, _, err := Typed[int](o, nil).Get(ctx, inner)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if get("supplies", "water") != 10 {
		t.Fatal("d['supplies']['water'] != 10")
	}
	if _, err := process.Run(ctx, setBlankets, nestedArg{d}); err != nil {
		t.Fatal(err)
	}
	if v, _, _ := supplies.Get(ctx, "blankets"); v != 5 || get("supplies", "blankets") != 5 {
		t.Fatalf("supplies['blankets'] = %d after the child set it", v)
	}
	s, _, _ := d.Get(ctx, "supplies")
	Typed[int](s, nil).Set(ctx, "water", 7)
	if v, _, _ := supplies.Get(ctx, "water"); v != 7 {
		t.Fatalf("supplies['water'] = %d", v)
	}
	d.Clear(ctx)
	if n, _ := d.Len(ctx); n != 0 {
		t.Fatalf("len(d) = %d", n)
	}
	if v, _, _ := pets.Get(ctx, "hamsters"); v != 4 {
		t.Fatalf("pets['hamsters'] = %d after d.clear()", v)
	}
	ll, _ := m.List("l", nil)
	l := TypedListOf[*LocalDict](ll, nil)
	l.Extend(ctx, pets.Dict().(*LocalDict), supplies.Dict().(*LocalDict))
	l0, _ := l.Get(ctx, 0)
	Typed[int](l0, nil).Set(ctx, "marmots", 1)
	if v, _, _ := pets.Get(ctx, "marmots"); v != 1 {
		t.Fatalf("pets['marmots'] = %d", v)
	}
	if err := l.Remove(ctx, pets.Dict().(*LocalDict)); err != nil {
		t.Fatalf("l.remove(pets): %v", err)
	}
}

type queueInArg struct {
	L *TypedList[*ring.Queue[int]]
	D *TypedDict[*ring.Queue[int]]
}

// putNested is a[0].put(123) and b['0'].put(456) in a child.
var putNested = process.Register("manager.putNested", func(ctx context.Context, a queueInArg) (struct{}, error) {
	q, err := a.L.Get(ctx, 0)
	if err != nil {
		return struct{}{}, err
	}
	if err := q.Put(ctx, 123); err != nil {
		return struct{}{}, err
	}
	q, ok, err := a.D.Get(ctx, "0")
	if err != nil || !ok {
		return struct{}{}, fmt.Errorf("b['0']: %v %v", ok, err)
	}
	return struct{}{}, q.Put(ctx, 456)
})

// test_nested_queue: a queue inside a list and one inside a dict, put to
// by a child through the containers.
func TestCPythonNestedQueue(t *testing.T) {
	ctx := testCtx(t)
	m := newManager(t)
	ll, _ := m.List("a", nil)
	a := TypedListOf[*ring.Queue[int]](ll, nil)
	q1, err := Queue[int](m, "q1", nil)
	if err != nil {
		t.Fatal(err)
	}
	a.Append(ctx, q1)
	bd, _ := m.Dict("b", nil)
	b := Typed[*ring.Queue[int]](bd, nil)
	q2, _ := Queue[int](m, "q2", nil)
	b.Set(ctx, "0", q2)
	if _, err := process.Run(ctx, putNested, queueInArg{a, b}); err != nil {
		t.Fatal(err)
	}
	if v, err := q1.Get(ctx); err != nil || v != 123 {
		t.Fatalf("a[0].get() = %d %v", v, err)
	}
	if v, err := q2.Get(ctx); err != nil || v != 456 {
		t.Fatalf("b[0].get() = %d %v", v, err)
	}
}

// test_namespace: fields set, one deleted; str(n) names no value.
func TestCPythonNamespace(t *testing.T) {
	ctx := testCtx(t)
	n, err := newManager(t).Namespace("n")
	if err != nil {
		t.Fatal(err)
	}
	n.Store(ctx, "name", "Bob")
	n.Store(ctx, "job", "Builder")
	var name, job string
	n.Load(ctx, "name", &name)
	n.Load(ctx, "job", &job)
	if name != "Bob" || job != "Builder" {
		t.Fatalf("(n.name, n.job) = %q, %q", name, job)
	}
	n.Delete(ctx, "job")
	if got := n.String(); got != `Namespace "n" (1 field)` {
		t.Fatalf("str(n) = %q", got)
	}
	if ok, _ := n.Load(ctx, "job", &job); ok {
		t.Fatal("hasattr(n, 'job') after del")
	}
}
