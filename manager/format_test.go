package manager

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/shmkit/shmkit/shm"
)

// TestStringers: fmt prints a proxy as its name and size, never a pointer
// and never its contents.
func TestStringers(t *testing.T) {
	ctx := testCtx(t)
	m, err := New(&Options{Size: 8 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	d, _ := m.Dict("squares", nil)
	for i := range 3 {
		d.Set(ctx, fmt.Sprint(i), []byte(strings.Repeat("x", 1000)))
	}
	l, _ := m.List("chars", nil)
	l.Append(ctx, []byte("P"))
	ns, _ := m.Namespace("settings")
	ns.Store(ctx, "x", 1)
	ns.Store(ctx, "name", "shmkit")
	td := Typed[int](d, nil)
	for _, c := range []struct {
		v    fmt.Stringer
		want string
	}{
		{d, `Dict "squares" (3 keys)`},
		{l, `List "chars" (1 element)`},
		{ns, `Namespace "settings" (2 fields)`},
		{td, `TypedDict[int]: Dict "squares" (3 keys)`},
		{m, `Manager (anonymous segment, 3 objects, `},
	} {
		if got := fmt.Sprint(c.v); !strings.HasPrefix(got, c.want) {
			t.Errorf("%T prints %q, want %q", c.v, got, c.want)
		}
	}
	if got := fmt.Sprint((*Manager)(nil)); got != "Manager(nil)" {
		t.Errorf("nil Manager prints %q", got)
	}
}

// TestDictNoRoom: a default Dict in a segment too small says what it
// needs and how to get it, and still wraps shm's sentinel.
func TestDictNoRoom(t *testing.T) {
	need, err := (*DictOptions)(nil).SharedBytes()
	if err != nil || need < 1<<20 || need > 2<<20 {
		t.Fatalf("SharedBytes of the defaults = %d %v, want about 1 MiB", need, err)
	}
	m, err := New(&Options{Size: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer m.Close()
	_, err = m.Dict("d", nil)
	if !errors.Is(err, os.ErrInvalid) && !errors.Is(err, shm.ErrFull) {
		t.Fatalf("a default Dict in 1 MiB: %v, want shm's sentinel", err)
	}
	for _, want := range []string{"needs 1040 KiB", "1023 KiB free", "manager.Options.Size", "DictOptions"} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("error %q does not say %q", err, want)
		}
	}
	small := &DictOptions{Entries: 64, Bytes: 64 << 10, MaxValue: 1 << 10}
	n, err := small.SharedBytes()
	if err != nil || n > 128<<10 {
		t.Fatalf("SharedBytes(%+v) = %d %v", small, n, err)
	}
	if _, err := m.Dict("d", small); err != nil {
		t.Fatalf("the smaller Dict the message suggests: %v", err)
	}
	if _, err := m.List("l", &ListOptions{Len: 1 << 20}); err == nil || !strings.Contains(err.Error(), "ListOptions") {
		t.Fatalf("a List too big: %v, want a hint naming ListOptions", err)
	}
	if n, err := (&ListOptions{Len: 16, Bytes: 4096, MaxValue: 64}).SharedBytes(); err != nil || n == 0 {
		t.Fatalf("ListOptions.SharedBytes = %d %v", n, err)
	}
}

// TestProxyCodec: a nil proxy is refused, and a handle attaches only as
// its own kind.
func TestProxyCodec(t *testing.T) {
	m := newManager(t)
	c := ProxyCodec[List]()
	if _, err := c.Encode(nil, nil); !errors.Is(err, errNilProxy) {
		t.Fatalf("Encode(nil) = %v, want errNilProxy", err)
	}
	d, _ := m.Dict("d", nil)
	b, err := ProxyCodec[LocalDict]().Encode(nil, d)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Decode(b); !errors.Is(err, shm.ErrWrongKind) {
		t.Fatalf("a dict's handle decoded as a List: %v, want shm.ErrWrongKind", err)
	}
	if _, err := c.Decode([]byte("junk")); err == nil {
		t.Fatal("junk decoded as a List")
	}
	if got, err := ProxyCodec[LocalDict]().Decode(b); err != nil || got.Name() != "d" {
		t.Fatalf("Decode = %v %v", got, err)
	}
	if _, ok := defaultCodec[*List]().(proxyCodec[*List]); !ok {
		t.Fatal("the default codec of *List is not the proxy codec")
	}
	if _, ok := defaultCodec[*int]().(proxyCodec[*int]); ok {
		t.Fatal("the default codec of *int is the proxy codec")
	}
}
