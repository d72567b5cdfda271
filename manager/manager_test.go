package manager

import (
	"context"
	"errors"
	"fmt"
	"os"
	"testing"

	"github.com/shmkit/shmkit/codec"
	"github.com/shmkit/shmkit/internal/testutil"
	"github.com/shmkit/shmkit/internal/testutil/leak"
	"github.com/shmkit/shmkit/internal/testutil/segtest"
	"github.com/shmkit/shmkit/process"
	"github.com/shmkit/shmkit/shm"
)

func TestMain(m *testing.M) {
	process.Main()
	os.Exit(leak.Main(m))
}

func testCtx(t testing.TB) context.Context { return testutil.Context(t) }

func newTestDict(t testing.TB, opts *DictOptions) *LocalDict {
	t.Helper()
	d, err := NewDict(segtest.NewSize(t, 8<<20), "d", opts)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// testKey is the auth key of the remote benchmarks.
var testKey = []byte("test secret key")

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

func TestTyped(t *testing.T) {
	ctx := testCtx(t)
	type point struct{ X, Y int }
	for _, c := range []codec.Codec[point]{nil, codec.JSON[point]{}} {
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

// TestServeNilManager: a Server given a nil *Manager (a non-nil Source
// holding a nil pointer) refuses to start instead of panicking.
func TestServeNilManager(t *testing.T) {
	var m *Manager
	s := &Server{Manager: m, AuthKey: testKey}
	if err := s.Serve(testCtx(t), nil); !errors.Is(err, os.ErrInvalid) {
		t.Fatalf("Serve with a nil *Manager: %v, want os.ErrInvalid", err)
	}
}
