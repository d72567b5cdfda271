package table

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"unsafe"

	"github.com/shmkit/shmkit/internal/testutil"
	"github.com/shmkit/shmkit/shm"
)

// The shared layouts, pinned: changing one is a new tableVersion.
func TestLayout(t *testing.T) {
	testutil.Pins{
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
		// The List's records (list.go, list_journal.go): with version 3.
		{"tableVersion", tableVersion, 3},
		{"journalSize", journalSize, 32},
		{"listEntries(1)", uintptr(listEntries(1)), 4},
	}.Check(t)
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
	d := newTestDict(t, &Options{Entries: 16, Bytes: 1 << 20})
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

func TestList(t *testing.T) {
	ctx := testCtx(t)
	l, err := NewList(newSeg(t, 8<<20), "l", &ListOptions{Len: 3})
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range []string{"a", "b", "c"} {
		if n, err := l.Append(ctx, []byte(s)); err != nil || n != i {
			t.Fatalf("Append %s = %d %v", s, n, err)
		}
	}
	if _, err := l.Append(ctx, []byte("d")); !errors.Is(err, ErrFull) {
		t.Fatalf("4th Append: %v, want ErrFull", err)
	}
	if err := l.Set(ctx, 1, []byte("B")); err != nil {
		t.Fatal(err)
	}
	if _, err := l.Get(ctx, 3); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get 3: %v, want ErrNotFound", err)
	}
	if v, err := l.Pop(ctx, -1); err != nil || string(v) != "c" {
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
	if _, err := l.Pop(ctx, -1); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Pop of an empty list: %v", err)
	}
}

// TestListDefaultMaxValue: a List made with no MaxValue takes elements up
// to the documented 64 KiB (it took 8 bytes: "hello world" was refused).
func TestListDefaultMaxValue(t *testing.T) {
	ctx := testCtx(t)
	for _, opts := range []*ListOptions{nil, {}, {Len: 4}} {
		l, err := NewList(newSeg(t, 8<<20), "l", opts)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range [][]byte{[]byte("hello world"), make([]byte, defaultMaxValue)} {
			if _, err := l.Append(ctx, v); err != nil {
				t.Fatalf("%+v: Append of %d bytes: %v", opts, len(v), err)
			}
		}
		if _, err := l.Append(ctx, make([]byte, defaultMaxValue+1)); !errors.Is(err, ErrTooLarge) {
			t.Fatalf("%+v: Append over 64 KiB: %v, want ErrTooLarge", opts, err)
		}
		if v, err := l.Get(ctx, 0); err != nil || string(v) != "hello world" {
			t.Fatalf("Get 0 = %q %v", v, err)
		}
	}
	if _, err := NewList(newSeg(t, 1<<20), "l", &ListOptions{MaxValue: -1}); !errors.Is(err, os.ErrInvalid) {
		t.Fatalf("negative MaxValue: %v, want os.ErrInvalid", err)
	}
}
