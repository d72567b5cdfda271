package table

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"sync"
	"testing"

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

func newSeg(t testing.TB, size int) *shm.Segment { return segtest.NewSize(t, size) }

func newTestDict(t testing.TB, opts *Options) *Dict {
	t.Helper()
	d, err := NewDict(newSeg(t, 8<<20), "d", opts)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func TestDictBasics(t *testing.T) {
	ctx := testCtx(t)
	d := newTestDict(t, &Options{Entries: 100, Stripes: 4})
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(d.Set(ctx, "a", []byte("1")))
	must(d.Set(ctx, "b", []byte("2")))
	must(d.Set(ctx, "a", []byte("one")))
	if v, ok, err := d.Get(ctx, "a"); err != nil || !ok || string(v) != "one" {
		t.Fatalf("Get a = %q %v %v", v, ok, err)
	}
	if _, ok, _ := d.Get(ctx, "zz"); ok {
		t.Fatal("Get of an absent key found it")
	}
	if n, _ := d.Len(ctx); n != 2 {
		t.Fatalf("Len = %d, want 2", n)
	}
	if ok, _ := d.Contains(ctx, "b"); !ok {
		t.Fatal("Contains b = false")
	}
	if v, ok, _ := d.Pop(ctx, "b"); !ok || string(v) != "2" {
		t.Fatalf("Pop b = %q %v", v, ok)
	}
	if ok, _ := d.Delete(ctx, "b"); ok {
		t.Fatal("Delete of a popped key reported true")
	}
	if v, loaded, _ := d.SetDefault(ctx, "a", []byte("x")); !loaded || string(v) != "one" {
		t.Fatalf("SetDefault a = %q %v", v, loaded)
	}
	if v, loaded, _ := d.SetDefault(ctx, "c", []byte("x")); loaded || string(v) != "x" {
		t.Fatalf("SetDefault c = %q %v", v, loaded)
	}
	if ok, _ := d.CompareAndSwap(ctx, "c", []byte("y"), []byte("z")); ok {
		t.Fatal("CompareAndSwap with a wrong old value swapped")
	}
	if ok, _ := d.CompareAndSwap(ctx, "c", []byte("x"), []byte("z")); !ok {
		t.Fatal("CompareAndSwap with the right old value failed")
	}
	if ok, _ := d.CompareAndDelete(ctx, "c", []byte("x")); ok {
		t.Fatal("CompareAndDelete with a wrong old value deleted")
	}
	if ok, _ := d.CompareAndDelete(ctx, "c", []byte("z")); !ok {
		t.Fatal("CompareAndDelete with the right old value failed")
	}
	must(d.Update(ctx, "n", func(old []byte, ok bool) ([]byte, bool) {
		if ok {
			t.Error("Update saw an absent key as present")
		}
		return []byte("7"), true
	}))
	must(d.Update(ctx, "a", func(old []byte, ok bool) ([]byte, bool) { return nil, false }))
	must(d.SetMany(ctx, map[string][]byte{"m1": []byte("v1"), "m2": {}, "n": []byte("8")}))
	want := map[string][]byte{"m1": []byte("v1"), "m2": {}, "n": []byte("8")}
	got, err := d.Snapshot(ctx)
	must(err)
	if !maps.EqualFunc(got, want, bytes.Equal) {
		t.Fatalf("Snapshot = %q, want %q", got, want)
	}
	it := maps.Collect(d.Items(ctx))
	if !maps.EqualFunc(it, want, bytes.Equal) {
		t.Fatalf("Items = %q, want %q", it, want)
	}
	if n := len(maps.Collect(func(y func(string, struct{}) bool) {
		for k := range d.Keys(ctx) {
			y(k, struct{}{})
		}
	})); n != 3 {
		t.Fatalf("Keys gave %d keys, want 3", n)
	}
	must(d.Clear(ctx))
	if n, _ := d.Len(ctx); n != 0 {
		t.Fatalf("Len after Clear = %d", n)
	}
	if s := d.Stats(); s.UsedBytes != 0 || s.CarvedBytes != arenaStart {
		t.Fatalf("Stats after Clear = %+v", s)
	}
}

func TestDictLimits(t *testing.T) {
	ctx := testCtx(t)
	d := newTestDict(t, &Options{Entries: 8, MaxKey: 8, MaxValue: 100, Bytes: 1024, Stripes: 2})
	if err := d.Set(ctx, "123456789", nil); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("long key: %v, want ErrTooLarge", err)
	}
	if err := d.Set(ctx, "k", make([]byte, 101)); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("long value: %v, want ErrTooLarge", err)
	}
	want := map[string][]byte{}
	for i := range 8 {
		k := fmt.Sprint("k", i)
		want[k] = []byte(k)
		if err := d.Set(ctx, k, []byte(k)); err != nil {
			t.Fatal(err)
		}
	}
	if err := d.Set(ctx, "k8", nil); !errors.Is(err, ErrFull) {
		t.Fatalf("9th key: %v, want ErrFull", err)
	}
	if err := d.SetMany(ctx, map[string][]byte{"k0": []byte("new"), "x": nil}); !errors.Is(err, ErrFull) {
		t.Fatalf("SetMany over capacity: %v, want ErrFull", err)
	}
	checkContents(t, d, want)
	// Bytes: replacing values with large ones fills the 4 KiB arena.
	var full bool
	for i := range 8 {
		k := fmt.Sprint("k", i)
		err := d.Set(ctx, k, bytes.Repeat([]byte{byte(i)}, 100))
		if errors.Is(err, ErrFull) {
			full = true
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		want[k] = bytes.Repeat([]byte{byte(i)}, 100)
	}
	if !full {
		t.Fatal("8 values of 100 bytes fit a 1 KiB arena with small ones: test sizing wrong")
	}
	checkContents(t, d, want)
	// Deleted space is reused: delete all, then all fit again.
	for k := range want {
		d.Delete(ctx, k)
	}
	for i := range 6 { // 6 blocks of 144 bytes in 992
		if err := d.Set(ctx, fmt.Sprint("k", i), bytes.Repeat([]byte{1}, 100)); err != nil {
			t.Fatalf("after deleting everything, Set %d: %v", i, err)
		}
	}
}

func checkContents(t *testing.T, d *Dict, want map[string][]byte) {
	t.Helper()
	got, err := d.Snapshot(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	if !maps.EqualFunc(got, want, bytes.Equal) {
		t.Fatalf("contents = %q\nwant %q", got, want)
	}
	if n, err := d.Len(testCtx(t)); err != nil || n != len(want) {
		t.Fatalf("Len = %d %v, want %d", n, err, len(want))
	}
}

func TestDictConcurrentGoroutines(t *testing.T) {
	ctx := testCtx(t)
	d := newTestDict(t, &Options{Entries: 1000, Stripes: 8})
	const G, N = 8, 500
	var wg sync.WaitGroup
	for g := range G {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range N {
				k := fmt.Sprintf("g%d-%d", g, i%50)
				if err := d.Set(ctx, k, []byte(k)); err != nil {
					t.Error(err)
					return
				}
				if v, ok, err := d.Get(ctx, k); err != nil || !ok || string(v) != k {
					t.Errorf("Get %s = %q %v %v", k, v, ok, err)
					return
				}
				if i%3 == 0 {
					d.Delete(ctx, k)
				}
				d.Update(ctx, "counter", func(old []byte, ok bool) ([]byte, bool) {
					var n int
					fmt.Sscan(string(old), &n)
					return []byte(fmt.Sprint(n + 1)), true
				})
			}
		}()
	}
	wg.Wait()
	if v, _, _ := d.Get(ctx, "counter"); string(v) != fmt.Sprint(G*N) {
		t.Fatalf("counter = %s, want %d", v, G*N)
	}
}
