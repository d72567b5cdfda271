package shm_test

import (
	"context"
	"errors"
	"testing"

	"github.com/shmkit/shmkit/array"
	"github.com/shmkit/shmkit/manager/table"
	"github.com/shmkit/shmkit/ring"
	"github.com/shmkit/shmkit/shm"
	"github.com/shmkit/shmkit/sync"
	"github.com/shmkit/shmkit/value"
)

// One way into every kind: AttachAs on the object's handle gives a working
// second handle on the same shared object, and refuses another kind's.
func TestAttachAsEveryKind(t *testing.T) {
	ctx := context.Background()
	seg, err := shm.Anonymous(4<<20, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer seg.Close()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}

	m, err := sync.NewMutex(seg, "m")
	must(err)
	m2, err := shm.AttachAs[sync.Mutex](m.Handle())
	must(err)
	must(m2.Lock(ctx))
	if ok, _ := m.TryLock(); ok {
		t.Fatal("the attached Mutex is not the same lock")
	}
	must(m2.Unlock())

	v, err := value.NewInt[int64](seg, "v", 5)
	must(err)
	v2, err := shm.AttachAs[value.Int[int64]](v.Handle())
	must(err)
	v2.Add(2)
	if v.Load() != 7 {
		t.Fatalf("value through the attached handle: %d", v.Load())
	}
	if _, err := shm.AttachAs[value.Int[int32]](v.Handle()); !errors.Is(err, shm.ErrWrongKind) {
		t.Fatalf("an Int[int64] attached as Int[int32] = %v", err)
	}

	a, err := array.New[float64](seg, "a", 4)
	must(err)
	a2, err := shm.AttachAs[array.Array[float64]](a.Handle())
	must(err)
	a2.Store(1, 2.5)
	if a.Load(1) != 2.5 {
		t.Fatal("array through the attached handle")
	}

	q, err := ring.NewQueue[string](seg, "q", nil)
	must(err)
	q2, err := shm.AttachAs[ring.Queue[string]](q.Handle())
	must(err)
	must(q2.Put(ctx, "hi"))
	if s, err := q.Get(ctx); err != nil || s != "hi" {
		t.Fatalf("queue through the attached handle: %q %v", s, err)
	}

	d, err := table.NewDict(seg, "d", nil)
	must(err)
	d2, err := shm.AttachAs[table.Dict](d.Handle())
	must(err)
	must(d2.Set(ctx, "k", []byte("v")))
	if b, ok, err := d.Get(ctx, "k"); err != nil || !ok || string(b) != "v" {
		t.Fatalf("dict through the attached handle: %q %v %v", b, ok, err)
	}

	if _, err := shm.AttachAs[sync.Mutex](q.Handle()); !errors.Is(err, shm.ErrWrongKind) {
		t.Fatalf("a queue's handle attached as a Mutex = %v", err)
	}
	if _, err := shm.AttachAs[ring.Ring](m.Handle()); !errors.Is(err, shm.ErrWrongKind) {
		t.Fatalf("a mutex's handle attached as a Ring = %v", err)
	}
}
