package manager

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"unsafe"

	"github.com/shmkit/shmkit/process"
	"github.com/shmkit/shmkit/shm"
)

// The shared layouts, pinned: changing one is a new tableVersion.
func TestLayout(t *testing.T) {
	for _, c := range []struct {
		name      string
		got, want uintptr
	}{
		{"tableHeader", unsafe.Sizeof(tableHeader{}), 128},
		{"tableHeader.Entries", unsafe.Offsetof(tableHeader{}.Entries), 16},
		{"tableHeader.ArenaSize", unsafe.Offsetof(tableHeader{}.ArenaSize), 24},
		{"tableHeader.MaxKey", unsafe.Offsetof(tableHeader{}.MaxKey), 32},
		{"tableHeader.MaxValue", unsafe.Offsetof(tableHeader{}.MaxValue), 36},
		{"stripeLock", unsafe.Sizeof(stripeLock{}), lockSize},
		{"stripeLock.W", unsafe.Offsetof(stripeLock{}.W), 8},
		{"stripe", unsafe.Sizeof(stripe{}), shm.CacheLinePad},
		{"stripe.Count", unsafe.Offsetof(stripe{}.Count), 16},
		{"stripe.Bytes", unsafe.Offsetof(stripe{}.Bytes), 24},
		{"stripe.Frees", unsafe.Offsetof(stripe{}.Frees), 32},
		{"stripe.Seq", unsafe.Offsetof(stripe{}.Seq), 40},
	} {
		if c.got != c.want {
			t.Errorf("%s = %d, want %d", c.name, c.got, c.want)
		}
	}
	if got := fmt.Sprint(sizeClasses(1040)); got != "[32 48 64 96 128 192 256 384 512 768 1024 1040]" {
		t.Errorf("sizeClasses(1040) = %v", got)
	}
	// Words written by different processes are 128 bytes apart.
	if liveOff%shm.CacheLinePad != 0 || cursorOff-liveOff != shm.CacheLinePad || freeOff-cursorOff != shm.CacheLinePad {
		t.Error("shared words not on their own cache-line pairs")
	}
}

func TestDescribe(t *testing.T) {
	ctx := testCtx(t)
	d := newTestDict(t, &DictOptions{Entries: 16, Bytes: 1 << 20})
	d.Set(ctx, "a", []byte("1"))
	d.Set(ctx, "b", []byte("2"))
	o, err := d.t.obj.Segment().Lookup("d")
	if err != nil {
		t.Fatal(err)
	}
	if got, want := shm.Describe(o), "2 entries (max 16), 64 B used of 1.0 MiB"; got != want {
		t.Fatalf("Describe = %q, want %q", got, want)
	}
	if got := shm.KindDict.String(); got != "dict" {
		t.Fatalf("KindDict is named %q", got)
	}
}

var useManager = process.Register("manager.useManager", func(ctx context.Context, m *Manager) (int, error) {
	d, err := m.Dict("from-child", nil)
	if err != nil {
		return 0, err
	}
	if err := d.Set(ctx, "child", []byte("was here")); err != nil {
		return 0, err
	}
	ns, err := m.Namespace("ns")
	if err != nil {
		return 0, err
	}
	var x int
	if _, err := ns.Load(ctx, "x", &x); err != nil {
		return 0, err
	}
	l, err := m.List("l", nil)
	if err != nil {
		return 0, err
	}
	if _, err := l.Append(ctx, []byte("c")); err != nil {
		return 0, err
	}
	return x, m.Close() // a child's Close does not unmap
})

// TestManagerInChild: a Manager sent to a child finds the same objects by
// name, and creates new ones the parent sees.
func TestManagerInChild(t *testing.T) {
	ctx := testCtx(t)
	m, err := New(&Options{Size: 8 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	ns, err := m.Namespace("ns")
	if err != nil {
		t.Fatal(err)
	}
	ns.Store(ctx, "x", 41)
	l, err := m.List("l", nil)
	if err != nil {
		t.Fatal(err)
	}
	l.Append(ctx, []byte("p"))
	x, err := process.Run(ctx, useManager, m)
	if err != nil {
		t.Fatal(err)
	}
	if x != 41 {
		t.Fatalf("child read x = %d", x)
	}
	d, err := m.Dict("from-child", nil)
	if err != nil {
		t.Fatal(err)
	}
	if v, ok, _ := d.Get(ctx, "child"); !ok || string(v) != "was here" {
		t.Fatalf("child's entry: %q %v", v, ok)
	}
	if got, _ := l.Snapshot(ctx); len(got) != 2 || string(got[0]) != "p" || string(got[1]) != "c" {
		t.Fatalf("list = %q", got)
	}
	if _, err := m.Namespace("from-child"); err == nil {
		t.Fatal("a Dict opened as a Namespace")
	}
}

func TestList(t *testing.T) {
	ctx := testCtx(t)
	m, err := New(&Options{Size: 8 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	l, err := m.List("l", &ListOptions{Len: 3})
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range []string{"a", "b", "c"} {
		if n, err := l.Append(ctx, []byte(s)); err != nil || n != i {
			t.Fatalf("Append %s = %d %v", s, n, err)
		}
	}
	if _, err := l.Append(ctx, []byte("d")); !isErr(err, ErrFull) {
		t.Fatalf("4th Append: %v, want ErrFull", err)
	}
	if err := l.Set(ctx, 1, []byte("B")); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Get(ctx, 3); !isErr(err, ErrNotFound) {
		t.Fatalf("Get 3: %v, want ErrNotFound", err)
	}
	if v, err := l.Pop(ctx); err != nil || string(v) != "c" {
		t.Fatalf("Pop = %q %v", v, err)
	}
	var got []string
	for _, v := range l.All(ctx) {
		got = append(got, string(v))
	}
	if strings.Join(got, ",") != "a,B" {
		t.Fatalf("All = %v", got)
	}
	if n, _ := l.Len(ctx); n != 2 {
		t.Fatalf("Len = %d", n)
	}
	l.Clear(ctx)
	if _, err := l.Pop(ctx); !isErr(err, ErrNotFound) {
		t.Fatalf("Pop of an empty list: %v", err)
	}
}

func TestTyped(t *testing.T) {
	ctx := testCtx(t)
	type point struct{ X, Y int }
	for _, c := range []Codec[point]{nil, JSONCodec[point]{}} {
		td := Typed(Dict(newTestDict(t, nil)), c)
		td.Set(ctx, "p", point{1, 2})
		td.Update(ctx, "p", func(old point, ok bool) (point, bool) { old.X += 10; return old, true })
		if p, ok, err := td.Get(ctx, "p"); err != nil || !ok || p != (point{11, 2}) {
			t.Fatalf("Get = %v %v %v", p, ok, err)
		}
		td.Dict().Set(ctx, "bad", []byte("not an encoding"))
		if _, _, err := td.Get(ctx, "bad"); err == nil {
			t.Fatal("Get of an undecodable value succeeded")
		}
		td.Delete(ctx, "bad")
		if m, err := td.Snapshot(ctx); err != nil || len(m) != 1 {
			t.Fatalf("Snapshot = %v %v", m, err)
		}
	}
}

func isErr(err, target error) bool { return errorsIs(err, target) }

var errorsIs = errors.Is

// TestNamedManager: a Manager on a named segment, opened by name.
func TestNamedManager(t *testing.T) {
	ctx := testCtx(t)
	name := fmt.Sprintf("shmkit-test-manager-%d", os.Getpid())
	m, err := New(&Options{Name: name, Size: 4 << 20})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close(); shm.Remove(name) })
	d, err := m.Dict("d", nil)
	if err != nil {
		t.Fatal(err)
	}
	d.Set(ctx, "k", []byte("v"))
	m2, err := Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer m2.Close()
	d2, err := m2.Dict("d", nil)
	if err != nil {
		t.Fatal(err)
	}
	if v, ok, _ := d2.Get(ctx, "k"); !ok || string(v) != "v" {
		t.Fatalf("through Open: %q %v", v, ok)
	}
}
