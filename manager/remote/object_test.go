package remote

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/shmkit/shmkit/manager/table"
	"github.com/shmkit/shmkit/process"
)

// FooBar is CPython's test class: f returns "f()", g raises, _h is
// exposed only by the type registered as Bar.
type FooBar struct{}

func (FooBar) f() string { return "f()" }
func (FooBar) g() error  { return errors.New("ValueError") }
func (FooBar) h() string { return "_h()" }

// squares is CPython's baz generator: i*i for i in range(10), then the
// end (io.EOF, StopIteration).
type squares struct {
	mu sync.Mutex
	i  int
}

var (
	exposeF    = Expose("f", func(_ context.Context, o FooBar, _ struct{}) (string, error) { return o.f(), nil })
	exposeG    = Expose("g", func(_ context.Context, o FooBar, _ struct{}) (string, error) { return "", o.g() })
	exposeH    = Expose("_h", func(_ context.Context, o FooBar, _ struct{}) (string, error) { return o.h(), nil })
	exposeNext = Expose("__next__", func(_ context.Context, s *squares, _ struct{}) (int, error) {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.i == 10 {
			return 0, io.EOF
		}
		s.i++
		return (s.i - 1) * (s.i - 1), nil
	})
)

// myManager is CPython's MyManager: Foo (f, g), Bar (f, _h), baz (an
// iterator), and a type whose method panics.
func myManager(t testing.TB, s *Server) {
	t.Helper()
	newFooBar := func() (any, error) { return FooBar{}, nil }
	for _, err := range []error{
		s.Register("Foo", newFooBar, exposeF, exposeG),
		s.Register("Bar", newFooBar, exposeF, exposeH),
		s.Register("baz", func() (any, error) { return &squares{}, nil }, exposeNext),
		s.Register("Panics", newFooBar, Expose("boom", func(context.Context, FooBar, struct{}) (int, error) { panic("boom") })),
	} {
		if err != nil {
			t.Fatal(err)
		}
	}
}

type commonArg struct {
	Addr string
	Key  []byte
}

// common is CPython's _TestMyManager.common, in a child process: it
// returns what went wrong, if anything.
var common = process.Register("remote.common", func(ctx context.Context, a commonArg) (string, error) {
	c, err := Dial(ctx, a.Addr, a.Key)
	if err != nil {
		return "", err
	}
	defer c.Close()
	var bad []string
	check := func(what string, ok bool) {
		if !ok {
			bad = append(bad, what)
		}
	}
	foo, err := c.Create(ctx, "Foo")
	if err != nil {
		return "", err
	}
	bar, err := c.Create(ctx, "Bar")
	if err != nil {
		return "", err
	}
	r, err := Call[struct{}, string](ctx, foo, "f", struct{}{})
	check("foo.f() == 'f()'", r == "f()" && err == nil)
	_, err = Call[struct{}, string](ctx, foo, "g", struct{}{})
	check("foo.g() raises ValueError", errors.Is(err, ErrMethod) && strings.Contains(fmt.Sprint(err), "ValueError"))
	_, err = Call[struct{}, string](ctx, foo, "_h", struct{}{})
	check("foo._callmethod('_h') raises RemoteError", errors.Is(err, os.ErrNotExist))
	r, err = Call[struct{}, string](ctx, bar, "f", struct{}{})
	check("bar.f() == 'f()'", r == "f()" && err == nil)
	r, err = Call[struct{}, string](ctx, bar, "_h", struct{}{})
	check("bar._h() == '_h()'", r == "_h()" && err == nil)
	_, err = Call[struct{}, string](ctx, bar, "g", struct{}{})
	check("bar has no g", errors.Is(err, os.ErrNotExist))
	baz, err := c.Create(ctx, "baz")
	if err != nil {
		return "", err
	}
	var got []int
	for {
		v, err := Call[struct{}, int](ctx, baz, "__next__", struct{}{})
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return "", err
		}
		got = append(got, v)
	}
	check("list(baz) == [i*i for i in range(10)]", fmt.Sprint(got) == "[0 1 4 9 16 25 36 49 64 81]")
	return strings.Join(bad, "; "), nil
})

// TestRegisteredTypes is CPython's test_mymanager, the calls made by a
// child process: exposed methods run, unexposed ones are refused, a
// method's error comes back as ErrMethod, an iterator ends with io.EOF.
func TestRegisteredTypes(t *testing.T) {
	ctx := testCtx(t)
	s := &Server{}
	myManager(t, s)
	_, addr := startServer(t, s)
	bad, err := process.Run(ctx, common, commonArg{addr, testKey})
	if err != nil {
		t.Fatal(err)
	}
	if bad != "" {
		t.Fatalf("in the child: %s", bad)
	}
}

// TestRegisteredFaults: what a client cannot do to the server.
func TestRegisteredFaults(t *testing.T) {
	ctx := testCtx(t)
	s := &Server{MaxObjects: 3}
	myManager(t, s)
	if err := s.Register("Foo", func() (any, error) { return nil, nil }); !errors.Is(err, os.ErrInvalid) {
		t.Fatalf("a type registered twice: %v", err)
	}
	if err := s.Register("Twice", func() (any, error) { return nil, nil }, exposeF, exposeF); !errors.Is(err, os.ErrInvalid) {
		t.Fatalf("a method exposed twice: %v", err)
	}
	_, addr := startServer(t, s)
	c := dial(t, addr)
	if _, err := c.Create(ctx, "Nope"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("an unregistered type: %v", err)
	}
	p, err := c.Create(ctx, "Panics")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Call[struct{}, int](ctx, p, "boom", struct{}{}); !errors.Is(err, ErrMethod) || !strings.Contains(err.Error(), "panic: boom") {
		t.Fatalf("a panicking method: %v", err)
	}
	foo, err := c.Create(ctx, "Foo")
	if err != nil {
		t.Fatal(err)
	}
	if r, err := Call[struct{}, string](ctx, foo, "f", struct{}{}); err != nil || r != "f()" {
		t.Fatalf("the server after a panic: %q %v", r, err)
	}
	if _, err := foo.Call(ctx, "f", []byte("not an empty struct")); err == nil {
		t.Fatal("a malformed argument was accepted")
	}
	c.Create(ctx, "Foo")
	if _, err := c.Create(ctx, "Foo"); !errors.Is(err, table.ErrFull) {
		t.Fatalf("past MaxObjects: %v, want ErrFull", err)
	}
	if err := foo.Release(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := foo.Call(ctx, "f", nil); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("a call on a released object: %v", err)
	}
	if _, err := c.Create(ctx, "Foo"); err != nil {
		t.Fatalf("Create after a Release: %v", err)
	}
	// A raw frame with a malformed object id gets an error reply.
	err = c.call(ctx, opCall, func(frame) error { return nil }, []byte("bad"), []byte("f"), nil)
	if !errors.Is(err, ErrProtocol) {
		t.Fatalf("a malformed id: %v, want ErrProtocol", err)
	}
}
