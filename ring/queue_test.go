package ring_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/shmkit/shmkit/codec"
	"github.com/shmkit/shmkit/internal/testutil/segtest"
	"github.com/shmkit/shmkit/ring"
)

type point struct {
	X, Y int32
	Tag  [4]byte
}

type task struct {
	Name string
	Args []int
}

func TestQueueCodecs(t *testing.T) {
	seg := segtest.NewSize(t, 1<<20)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	qs, err := ring.NewQueue[string](seg, "s", &ring.Options{Capacity: 32})
	if err != nil {
		t.Fatal(err)
	}
	long := strings.Repeat("x", 3000) // spans many 112-byte slots
	for _, s := range []string{"", "a", long} {
		if err := qs.Put(ctx, s); err != nil {
			t.Fatal(err)
		}
		if got, err := qs.Get(ctx); err != nil || got != s {
			t.Fatalf("%q %v", got[:min(len(got), 10)], err)
		}
	}
	if err := qs.TryPut(strings.Repeat("y", 32*112+1)); !errors.Is(err, ring.ErrTooLarge) {
		t.Fatalf("too large: %v", err)
	}

	qp, err := ring.NewQueue[point](seg, "p", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := qp.TryPut(point{1, 2, [4]byte{'a'}}); err != nil {
		t.Fatal(err)
	}
	if qp.Len() != 1 || qp.Empty() {
		t.Fatalf("len %d", qp.Len())
	}
	if p, err := qp.TryGet(); err != nil || p.Y != 2 || p.Tag[0] != 'a' {
		t.Fatal(p, err)
	}
	if _, err := qp.TryGet(); !errors.Is(err, ring.ErrEmpty) {
		t.Fatal(err)
	}

	qt, err := ring.NewQueue[task](seg, "t", &ring.Options{Capacity: 2, SlotSize: 64})
	if err != nil {
		t.Fatal(err)
	}
	if err := qt.Put(ctx, task{"f", []int{1}}); err != nil {
		t.Fatal(err)
	}
	if !qt.Full() {
		t.Fatal("a 2-slot queue holding a gob message should be full")
	}
	short, c2 := context.WithTimeout(ctx, 10*time.Millisecond)
	defer c2()
	if err := qt.Put(short, task{"g", nil}); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("put on a full queue: %v", err)
	}
	if v, err := qt.Get(ctx); err != nil || v.Name != "f" || v.Args[0] != 1 {
		t.Fatal(v, err)
	}
	short2, c3 := context.WithTimeout(ctx, 10*time.Millisecond)
	defer c3()
	if _, err := qt.Get(short2); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("get on an empty queue: %v", err)
	}
	qt.Close()
	if _, err := qt.Get(ctx); err != io.EOF {
		t.Fatalf("get after close: %v", err)
	}
	if _, err := codec.NewRaw[task](); err == nil {
		t.Fatal("raw codec for a type with pointers")
	}
}

func TestJoinableQueue(t *testing.T) {
	seg := segtest.NewSize(t, 1<<20)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	q, err := ring.NewJoinableQueue[int](seg, "j", nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		q.Put(ctx, i)
	}
	done := make(chan error)
	go func() { done <- q.Join(ctx) }()
	for range 10 {
		if _, err := q.Get(ctx); err != nil {
			t.Fatal(err)
		}
		select {
		case <-done:
			t.Fatal("Join returned before every TaskDone")
		default:
		}
		q.TaskDone()
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := q.TaskDone(); !errors.Is(err, ring.ErrTaskDone) {
		t.Fatal(err)
	}
	if _, err := ring.OpenJoinableQueue[int](seg, "j"); err != nil {
		t.Fatal(err)
	}
}
