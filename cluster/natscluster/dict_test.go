package natscluster_test

import (
	"errors"
	"os"
	"slices"
	"strconv"
	"sync"
	"testing"

	"github.com/shmkit/shmkit/cluster/natscluster"
	"github.com/shmkit/shmkit/cluster/natsserver"
	"github.com/shmkit/shmkit/internal/testutil"
	"github.com/shmkit/shmkit/manager"
)

// TestDict runs every call of manager.Dict over a bucket, with keys that
// need escaping.
func TestDict(t *testing.T) {
	ctx := testutil.Context(t)
	s := startServer(t, natsserver.Options{MaxPayload: 64 << 10})
	_, js := connect(t, ctx, s.URL())
	d, err := natscluster.NewDict(ctx, js, "test", nil)
	if err != nil {
		t.Fatal(err)
	}
	var md manager.Dict = d
	keys := []string{"plain", "", "a.b", "a b", "=", "=3D", "*", ">", "ключ", "\x00\xff", "x/y-z_w", "..", "$KV"}
	for i, k := range keys {
		if err := md.Set(ctx, k, []byte(strconv.Itoa(i))); err != nil {
			t.Fatalf("Set %q: %v", k, err)
		}
	}
	for i, k := range keys {
		if v, ok, err := md.Get(ctx, k); err != nil || !ok || string(v) != strconv.Itoa(i) {
			t.Fatalf("Get %q = %q, %v, %v", k, v, ok, err)
		}
	}
	if n, err := md.Len(ctx); err != nil || n != len(keys) {
		t.Fatalf("Len = %d, %v", n, err)
	}
	got := slices.Sorted(md.Keys(ctx))
	if want := slices.Sorted(slices.Values(keys)); !slices.Equal(got, want) {
		t.Fatalf("Keys = %q, want %q", got, want)
	}
	snap, err := md.Snapshot(ctx)
	if err != nil || len(snap) != len(keys) || string(snap["a.b"]) != "2" {
		t.Fatalf("Snapshot = %q, %v", snap, err)
	}
	items := map[string]string{}
	for k, v := range md.Items(ctx) {
		items[k] = string(v)
	}
	if len(items) != len(keys) || items[""] != "1" {
		t.Fatalf("Items = %q", items)
	}

	check := func(what string, ok, want bool, err error) {
		t.Helper()
		if err != nil || ok != want {
			t.Fatalf("%s = %v, %v; want %v", what, ok, err, want)
		}
	}
	v, loaded, err := md.SetDefault(ctx, "plain", []byte("other"))
	check("SetDefault of a present key", loaded, true, err)
	if string(v) != "0" {
		t.Fatalf("SetDefault returned %q", v)
	}
	v, loaded, err = md.SetDefault(ctx, "new", []byte("n"))
	check("SetDefault of an absent key", loaded, false, err)
	ok, err := md.CompareAndSwap(ctx, "new", []byte("x"), []byte("y"))
	check("CompareAndSwap with the wrong old", ok, false, err)
	ok, err = md.CompareAndSwap(ctx, "new", []byte("n"), []byte("y"))
	check("CompareAndSwap", ok, true, err)
	ok, err = md.CompareAndDelete(ctx, "new", []byte("n"))
	check("CompareAndDelete with the wrong old", ok, false, err)
	ok, err = md.CompareAndDelete(ctx, "new", []byte("y"))
	check("CompareAndDelete", ok, true, err)
	ok, err = md.Contains(ctx, "new")
	check("Contains of a deleted key", ok, false, err)
	v, loaded, err = md.SetDefault(ctx, "new", []byte("again"))
	check("SetDefault after a delete", loaded, false, err)
	v, ok, err = md.Pop(ctx, "new")
	check("Pop", ok, true, err)
	if string(v) != "again" {
		t.Fatalf("Pop returned %q", v)
	}
	_, ok, err = md.Pop(ctx, "new")
	check("Pop of an absent key", ok, false, err)
	ok, err = md.Delete(ctx, "a.b")
	check("Delete", ok, true, err)
	ok, err = md.Delete(ctx, "a.b")
	check("Delete of an absent key", ok, false, err)
	k, v, ok, err := md.PopItem(ctx)
	check("PopItem", ok, true, err)
	if want := strconv.Itoa(slices.Index(keys, k)); string(v) != want {
		t.Fatalf("PopItem = %q, %q: want the value %q", k, v, want)
	}

	t.Run("Update", func(t *testing.T) {
		// Four goroutines on two connections add 25 each to one counter.
		_, js2 := connect(t, ctx, s.URL())
		d2, err := natscluster.NewDict(ctx, js2, "test", nil)
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		for g := range 4 {
			dd := []*natscluster.Dict{d, d2}[g%2]
			wg.Go(func() {
				for range 25 {
					err := dd.Update(ctx, "counter", func(old []byte, ok bool) ([]byte, bool) {
						n, _ := strconv.Atoi(string(old))
						return []byte(strconv.Itoa(n + 1)), true
					})
					if err != nil {
						t.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
		if v, _, _ := d.Get(ctx, "counter"); string(v) != "100" {
			t.Fatalf("counter = %q after 100 concurrent increments", v)
		}
		if err := d.Update(ctx, "counter", func([]byte, bool) ([]byte, bool) { return nil, false }); err != nil {
			t.Fatal(err)
		}
		if ok, _ := d.Contains(ctx, "counter"); ok {
			t.Fatal("Update with keep false left the key")
		}
	})
	t.Run("SetMany", func(t *testing.T) {
		many := map[string][]byte{}
		for i := range 100 {
			many["m."+strconv.Itoa(i)] = []byte{byte(i)}
		}
		if err := md.SetMany(ctx, many); err != nil {
			t.Fatal(err)
		}
		for k, want := range many {
			if v, ok, _ := md.Get(ctx, k); !ok || string(v) != string(want) {
				t.Fatalf("after SetMany, %q = %v, %v", k, v, ok)
			}
		}
		// One value too large: none is set.
		bad := map[string][]byte{"ok1": {1}, "big": make([]byte, 100<<10), "ok2": {2}}
		if err := md.SetMany(ctx, bad); !errors.Is(err, manager.ErrTooLarge) {
			t.Fatalf("SetMany with a value over max_payload: %v", err)
		}
		if ok, _ := md.Contains(ctx, "ok1"); ok {
			t.Fatal("a failed SetMany set some keys")
		}
		tooMany := map[string][]byte{}
		for i := range 1001 {
			tooMany[strconv.Itoa(i)] = nil
		}
		if err := md.SetMany(ctx, tooMany); !errors.Is(err, manager.ErrTooLarge) {
			t.Fatalf("SetMany of 1001 keys: %v", err)
		}
	})
	t.Run("bad input", func(t *testing.T) {
		if err := md.Set(ctx, "big", make([]byte, 100<<10)); !errors.Is(err, manager.ErrTooLarge) {
			t.Fatalf("Set of a value over max_payload: %v", err)
		}
		if err := md.Set(ctx, string(make([]byte, 2000)), nil); !errors.Is(err, manager.ErrTooLarge) {
			t.Fatalf("Set of a 2000-byte key that escapes to 6000: %v", err)
		}
		if _, err := natscluster.NewDict(ctx, js, "bad.name", nil); !errors.Is(err, os.ErrInvalid) {
			t.Fatalf("NewDict with a dot in the name: %v", err)
		}
	})
	if err := md.Clear(ctx); err != nil {
		t.Fatal(err)
	}
	if n, err := md.Len(ctx); err != nil || n != 0 {
		t.Fatalf("Len after Clear = %d, %v", n, err)
	}
	if _, _, ok, err := md.PopItem(ctx); ok || err != nil {
		t.Fatalf("PopItem of an empty dict: %v, %v", ok, err)
	}
	md.Close()
	if _, _, err := md.Get(ctx, "plain"); !errors.Is(err, os.ErrClosed) {
		t.Fatalf("Get after Close: %v", err)
	}
}

// FuzzKeyEscape: any key round-trips through the NATS key and is a valid
// one.
func FuzzKeyEscape(f *testing.F) {
	for _, k := range []string{"", "a", "a.b", "=", "=4", "=ZZ", "ключ", "\x00"} {
		f.Add(k)
	}
	f.Fuzz(func(t *testing.T, key string) {
		e, err := natscluster.EscapeKey(key)
		if err != nil {
			return // too long
		}
		if !natscluster.ValidNATSKey(e) {
			t.Fatalf("%q escapes to %q, not a NATS key", key, e)
		}
		back, err := natscluster.UnescapeKey(e)
		if err != nil || back != key {
			t.Fatalf("%q -> %q -> %q, %v", key, e, back, err)
		}
	})
}
