package table

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"testing"
	"time"

	"github.com/shmkit/shmkit/shm"
)

// validTable returns the bytes of a small table holding a few entries,
// some deleted.
func validTable(tb testing.TB) []byte {
	seg, err := shm.Anonymous(1<<20, nil)
	if err != nil {
		tb.Fatal(err)
	}
	defer seg.Close()
	d, err := NewDict(seg, "t", &Options{Entries: 8, Bytes: 1024, MaxKey: 16, MaxValue: 64, Stripes: 2})
	if err != nil {
		tb.Fatal(err)
	}
	ctx := context.Background()
	for _, k := range []string{"a", "bb", "ccc", "dddd", "e"} {
		d.Set(ctx, k, []byte(k+k+k))
	}
	d.Delete(ctx, "bb")
	d.Set(ctx, "a", []byte("again"))
	return bytes.Clone(d.t.b)
}

// validList returns the bytes of a small List midway through a rewrite:
// values staged and the journal written, not yet applied.
func validList(tb testing.TB) []byte {
	seg, err := shm.Anonymous(1<<20, nil)
	if err != nil {
		tb.Fatal(err)
	}
	defer seg.Close()
	l, err := NewList(seg, "l", &ListOptions{Len: 6, Bytes: 2048, MaxValue: 40})
	if err != nil {
		tb.Fatal(err)
	}
	ctx := context.Background()
	l.Extend(ctx, []byte("a"), []byte("bb"), []byte("ccc"))
	l.Insert(ctx, 1, []byte("X"))
	l.locked(ctx, func(s *stripe, n int) error {
		for j, v := range []string{"y", "z"} {
			k := stagedKey(j)
			l.put(s, k[:], []byte(v))
		}
		return l.put(s, journalKey, journal{lo: 1, m: 2, newLen: n, oldLen: n}.encode())
	})
	return bytes.Clone(l.t.b)
}

// FuzzAttach: a table of arbitrary bytes attaches with an error, or
// supports every operation without a panic or an out-of-bounds access
// (ErrCorrupt is fine).
func FuzzAttach(f *testing.F) {
	good := validTable(f)
	f.Add(good)
	bad := bytes.Clone(good)
	binary.LittleEndian.PutUint32(bad[bucketsOffFor(good):], 0xffffff) // a bucket pointing far away
	f.Add(bad)
	cyc := bytes.Clone(good)
	binary.LittleEndian.PutUint64(cyc[cursorOff:], 3)
	f.Add(cyc)
	f.Add(good[:100])
	f.Add(validList(f))
	f.Fuzz(fuzzAttachBody)
}

func fuzzAttachBody(t *testing.T, b []byte) {
	{
		if len(b) > 1<<20 {
			return
		}
		seg, err := shm.Anonymous(2<<20, nil)
		if err != nil {
			t.Fatal(err)
		}
		defer seg.Close()
		o, err := seg.AllocObject("t", shm.KindDict, tableVersion, max(len(b), 1), shm.CacheLinePad, func(m []byte) { copy(m, b) })
		if err != nil {
			t.Fatal(err)
		}
		shm.Describe(o)
		tab, err := newTable(o)
		if err != nil {
			return
		}
		d := &Dict{tab}
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Millisecond) // short: a lock word naming a live process waits it out
		defer cancel()
		for _, k := range []string{"a", "bb", "ccc", "zz"} {
			d.Get(ctx, k)
			d.Set(ctx, k, []byte("value"))
			d.Update(ctx, k, func(old []byte, ok bool) ([]byte, bool) { return append(old, 1), true })
		}
		d.Delete(ctx, "e")
		d.Snapshot(ctx)
		for range d.Items(ctx) {
		}
		d.SetMany(ctx, map[string][]byte{"x": nil}) // one key: map order would make coverage flaky
		d.Reclaim(ctx)
		d.Len(ctx)
		d.Stats()
		shm.Describe(o)
		if l, err := listOf(tab); err == nil {
			l.Snapshot(ctx)
			l.Insert(ctx, 1, []byte("i"))
			l.Reverse(ctx)
			l.Pop(ctx, 0)
			l.Remove(ctx, []byte("i"))
			l.Append(ctx, []byte("a"))
			_ = l.String()
		}
	}
}

func bucketsOffFor(b []byte) int {
	p, _ := readParams(b)
	l, _ := computeLayout(p)
	return int(l.bucketsOff)
}

func TestCorruptTable(t *testing.T) {
	ctx := testCtx(t)
	d := newTestDict(t, &Options{Entries: 16, Stripes: 2})
	d.Set(ctx, "a", []byte("1"))
	tb := d.t
	for b := range tb.l.buckets {
		*tb.bucket(b) = 0xffffff
	}
	if _, _, err := d.Get(ctx, "a"); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Get through a bucket pointing outside: %v, want ErrCorrupt", err)
	}
	if _, err := d.Snapshot(ctx); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Snapshot: %v, want ErrCorrupt", err)
	}
	// A chain that loops on itself ends with ErrCorrupt too.
	d.Clear(ctx)
	d.Set(ctx, "a", []byte("1"))
	for b := range tb.l.buckets {
		if idx := *tb.bucket(b); idx != 0 {
			*u32(tb.arena, uint64(idx)*blockUnit+bNext) = idx
		}
	}
	if _, _, err := d.Get(ctx, "not there"); err != nil && !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Get on a cyclic chain: %v", err)
	}
	if _, err := d.Snapshot(ctx); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("Snapshot of a cyclic chain: %v, want ErrCorrupt", err)
	}
	// A header with an impossible size is refused at attach.
	h := layoutAt[tableHeader](tb.b, 0)
	h.Buckets = 3
	if _, err := newTable(tb.obj); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("attach with 3 buckets: %v, want ErrCorrupt", err)
	}
}
