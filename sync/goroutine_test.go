package sync_test

import (
	"context"
	"errors"
	"strings"
	gosync "sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shmkit/shmkit/internal/testutil"
	"github.com/shmkit/shmkit/internal/testutil/segtest"
	"github.com/shmkit/shmkit/shm"
	"github.com/shmkit/shmkit/sync"
)

func TestMutexGoroutines(t *testing.T) {
	seg := segtest.New(t)
	m := testutil.Must[*sync.Mutex](t)(sync.NewMutex(seg, "m"))
	ctx := testutil.Context(t)
	const G, N = 4, 5000
	counter := 0
	var wg gosync.WaitGroup
	for range G {
		wg.Go(func() {
			for range N {
				if err := m.Lock(ctx); err != nil {
					t.Error(err)
					return
				}
				counter++
				if err := m.Unlock(); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if counter != G*N {
		t.Fatalf("counter = %d, want %d", counter, G*N)
	}
}

func TestMutexBasics(t *testing.T) {
	seg := segtest.New(t)
	m := testutil.Must[*sync.Mutex](t)(sync.NewMutex(seg, "m"))
	if err := m.Unlock(); !errors.Is(err, sync.ErrNotOwner) {
		t.Fatalf("Unlock of unlocked = %v", err)
	}
	if ok, err := m.TryLock(); !ok || err != nil {
		t.Fatalf("TryLock = %v %v", ok, err)
	}
	if ok, err := m.TryLock(); ok || err != nil {
		t.Fatalf("second TryLock = %v %v", ok, err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	if err := m.Lock(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Lock of held = %v", err)
	}
	if m.State() == "unlocked" {
		t.Fatal("state says unlocked")
	}
	if err := m.Unlock(); err != nil {
		t.Fatal(err)
	}
	// Open by name and by handle find the same lock.
	m2 := testutil.Must[*sync.Mutex](t)(sync.OpenMutex(seg, "m"))
	m2.Lock(context.Background())
	if ok, _ := m.TryLock(); ok {
		t.Fatal("TryLock through another handle succeeded")
	}
	b := testutil.Must[[]byte](t)(m.MarshalBinary())
	var m3 sync.Mutex
	if err := m3.UnmarshalBinary(b); err != nil {
		t.Fatal(err)
	}
	if err := m3.Unlock(); err != nil {
		t.Fatal(err)
	}
	if got := shm.Describe(testutil.Must[*shm.Object](t)(seg.Lookup("m"))); got != "unlocked" {
		t.Fatalf("describe = %q", got)
	}
}

func TestWrongKind(t *testing.T) {
	seg := segtest.New(t)
	ev := testutil.Must[*sync.Event](t)(sync.NewEvent(seg, "ev"))
	if _, err := sync.OpenMutex(seg, "ev"); !errors.Is(err, shm.ErrWrongKind) {
		t.Fatalf("OpenMutex on an event = %v", err)
	}
	b := testutil.Must[[]byte](t)(ev.MarshalBinary())
	var m sync.Mutex
	if err := m.UnmarshalBinary(b); !errors.Is(err, shm.ErrWrongKind) {
		t.Fatalf("Mutex from an event handle = %v", err)
	}
	if err := m.UnmarshalBinary(b[:10]); !errors.Is(err, shm.ErrCorrupt) {
		t.Fatalf("Mutex from a short handle = %v", err)
	}
	if _, err := sync.NewSemaphore(seg, "s", -1); err == nil {
		t.Fatal("negative semaphore")
	}
	if _, err := sync.NewBarrier(seg, "b", 0); err == nil {
		t.Fatal("barrier of 0 parties")
	}
	if _, err := sync.OpenMutex(seg, "missing"); err == nil {
		t.Fatal("opened a missing mutex")
	}
	raw := testutil.Must[*shm.Object](t)(seg.Alloc("raw", 64, 8))
	if _, err := sync.EmbedMutex(raw, 60); !errors.Is(err, shm.ErrCorrupt) {
		t.Fatalf("embed out of bounds = %v", err)
	}
	if _, err := sync.EmbedMutex(raw, 4); !errors.Is(err, shm.ErrCorrupt) {
		t.Fatalf("embed misaligned = %v", err)
	}
}

func TestRWMutexGoroutines(t *testing.T) {
	seg := segtest.New(t)
	rw := testutil.Must[*sync.RWMutex](t)(sync.NewRWMutex(seg, "rw"))
	ctx := testutil.Context(t)
	var a, b int64 // invariant under the lock: a == b
	var readers, maxReaders atomic.Int32
	var wg gosync.WaitGroup
	for range 2 {
		wg.Go(func() {
			for range 2000 {
				if err := rw.Lock(ctx); err != nil {
					t.Error(err)
					return
				}
				a++
				b++
				rw.Unlock()
			}
		})
	}
	for range 3 {
		wg.Go(func() {
			for range 2000 {
				if err := rw.RLock(ctx); err != nil {
					t.Error(err)
					return
				}
				n := readers.Add(1)
				if n > maxReaders.Load() {
					maxReaders.Store(n)
				}
				if a != b {
					t.Error("torn state under read lock")
				}
				readers.Add(-1)
				if err := rw.RUnlock(); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if a != 4000 || b != 4000 {
		t.Fatalf("a, b = %d, %d", a, b)
	}
	if err := rw.RUnlock(); !errors.Is(err, sync.ErrNotOwner) {
		t.Fatalf("RUnlock without RLock = %v", err)
	}
}

func TestSemaphoreGoroutines(t *testing.T) {
	seg := segtest.New(t)
	s := testutil.Must[*sync.Semaphore](t)(sync.NewBoundedSemaphore(seg, "s", 2))
	ctx := testutil.Context(t)
	var in, most atomic.Int32
	var wg gosync.WaitGroup
	for range 5 {
		wg.Go(func() {
			for range 500 {
				if err := s.Acquire(ctx); err != nil {
					t.Error(err)
					return
				}
				n := in.Add(1)
				for m := most.Load(); n > m && !most.CompareAndSwap(m, n); m = most.Load() {
				}
				in.Add(-1)
				if err := s.Release(); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if most.Load() > 2 {
		t.Fatalf("%d holders at once, bound 2", most.Load())
	}
	if err := s.Release(); !errors.Is(err, sync.ErrOverflow) {
		t.Fatalf("Release past the bound = %v", err)
	}
	if s.Value() != 2 {
		t.Fatalf("value %d", s.Value())
	}
}

func TestEventGoroutines(t *testing.T) {
	seg := segtest.New(t)
	ev := testutil.Must[*sync.Event](t)(sync.NewEvent(seg, "ev"))
	ctx := testutil.Context(t)
	short, cancelShort := context.WithTimeout(ctx, 10*time.Millisecond)
	defer cancelShort()
	if err := ev.Wait(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Wait on a clear event = %v", err)
	}
	var woke atomic.Int32
	var wg gosync.WaitGroup
	for range 4 {
		wg.Go(func() {
			if err := ev.Wait(ctx); err != nil {
				t.Error(err)
			}
			woke.Add(1)
		})
	}
	// Until all four sleep in the futex (they read the state before).
	obj := testutil.Must[*shm.Object](t)(seg.Lookup("ev"))
	for shm.Describe(obj) != "clear, 4 asleep" {
		time.Sleep(time.Millisecond)
	}
	if woke.Load() != 0 {
		t.Fatal("woke before Set")
	}
	ev.Set()
	ev.Clear() // waiters still return: the generation moved
	wg.Wait()
	if woke.Load() != 4 || ev.IsSet() {
		t.Fatalf("woke %d, set %v", woke.Load(), ev.IsSet())
	}
}

func TestCondGoroutines(t *testing.T) {
	seg := segtest.New(t)
	c := testutil.Must[*sync.Cond](t)(sync.NewCond(seg, "c"))
	ctx := testutil.Context(t)
	queue := 0 // items produced, under c's lock
	const items = 2000
	var consumed atomic.Int32
	var wg gosync.WaitGroup
	for range 2 {
		wg.Go(func() {
			for {
				if err := c.Lock(ctx); err != nil {
					t.Error(err)
					return
				}
				for queue == 0 && consumed.Load() < items {
					if err := c.Wait(ctx); err != nil {
						t.Error(err)
						c.Unlock()
						return
					}
				}
				if consumed.Load() >= items {
					c.Unlock()
					return
				}
				queue--
				if consumed.Add(1) == items {
					c.Broadcast()
				}
				c.Unlock()
			}
		})
	}
	for range items {
		c.Lock(ctx)
		queue++
		c.Signal()
		c.Unlock()
	}
	wg.Wait()
	if consumed.Load() != items || queue != 0 {
		t.Fatalf("consumed %d, left %d", consumed.Load(), queue)
	}
	// Wait with an ended context returns holding the lock.
	c.Lock(ctx)
	short, cancelShort := context.WithTimeout(ctx, 5*time.Millisecond)
	defer cancelShort()
	if err := c.Wait(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Wait = %v", err)
	}
	if err := c.Unlock(); err != nil {
		t.Fatalf("lock not held after Wait: %v", err)
	}
}

func TestBarrierGoroutines(t *testing.T) {
	seg := segtest.New(t)
	b := testutil.Must[*sync.Barrier](t)(sync.NewBarrier(seg, "b", 3))
	ctx := testutil.Context(t)
	var round [3]atomic.Int32
	var wg gosync.WaitGroup
	for g := range 3 {
		wg.Go(func() {
			for r := range 50 {
				round[g].Store(int32(r))
				if _, err := b.Wait(ctx); err != nil {
					t.Error(err)
					return
				}
				for o := range 3 { // no one is a round behind after the barrier
					if round[o].Load() < int32(r) {
						t.Errorf("party %d at round %d after barrier %d", o, round[o].Load(), r)
					}
				}
			}
		})
	}
	wg.Wait()
	// A waiter whose context ends breaks the barrier for the others.
	short, cancelShort := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancelShort()
	errs := make(chan error, 2)
	go func() { _, err := b.Wait(ctx); errs <- err }()
	go func() { _, err := b.Wait(short); errs <- err }()
	for range 2 {
		if err := <-errs; !errors.Is(err, sync.ErrBrokenBarrier) {
			t.Fatalf("Wait = %v, want ErrBrokenBarrier", err)
		}
	}
	if _, err := b.Wait(ctx); !errors.Is(err, sync.ErrBrokenBarrier) {
		t.Fatalf("Wait on broken = %v", err)
	}
	// Reset releases waiters with ErrBrokenBarrier, then works again.
	b.Reset()
	go func() { _, err := b.Wait(ctx); errs <- err }()
	for b.Waiting() != 1 {
		time.Sleep(time.Millisecond)
	}
	b.Reset()
	if err := <-errs; !errors.Is(err, sync.ErrBrokenBarrier) {
		t.Fatalf("Wait during Reset = %v", err)
	}
	for range 3 {
		go func() { _, err := b.Wait(ctx); errs <- err }()
	}
	for range 3 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
}

func TestRLock(t *testing.T) {
	seg := segtest.New(t)
	r := testutil.Must[*sync.RLock](t)(sync.NewRLock(seg, "r"))
	ctx := testutil.Context(t)
	for range 3 {
		if err := r.Lock(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if r.Depth() != 3 || !strings.HasSuffix(shm.Describe(testutil.Must[*shm.Object](t)(seg.Lookup("r"))), "depth 3") {
		t.Fatalf("depth %d, %q", r.Depth(), shm.Describe(testutil.Must[*shm.Object](t)(seg.Lookup("r"))))
	}
	other := testutil.Must[*sync.RLock](t)(sync.OpenRLock(seg, "r")) // another owner
	short, cancelShort := context.WithTimeout(ctx, 20*time.Millisecond)
	defer cancelShort()
	if err := other.Lock(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("other handle Lock = %v", err)
	}
	if err := other.Unlock(); !errors.Is(err, sync.ErrNotOwner) {
		t.Fatalf("other handle Unlock = %v", err)
	}
	for range 3 {
		if err := r.Unlock(); err != nil {
			t.Fatal(err)
		}
	}
	if err := r.Unlock(); !errors.Is(err, sync.ErrNotOwner) {
		t.Fatalf("extra Unlock = %v", err)
	}
	if err := other.Lock(ctx); err != nil {
		t.Fatal(err)
	}
	other.Unlock()
	// Separate handles exclude each other across goroutines.
	counter := 0
	var wg gosync.WaitGroup
	for range 3 {
		h := testutil.Must[*sync.RLock](t)(sync.OpenRLock(seg, "r"))
		wg.Go(func() {
			for range 2000 {
				h.Lock(ctx)
				h.Lock(ctx)
				counter++
				h.Unlock()
				h.Unlock()
			}
		})
	}
	wg.Wait()
	if counter != 6000 {
		t.Fatalf("counter %d", counter)
	}
}

func TestDescribeAll(t *testing.T) {
	seg := segtest.New(t)
	sync.NewMutex(seg, "mutex")
	sync.NewRLock(seg, "rlock")
	sync.NewRWMutex(seg, "rwmutex")
	sync.NewSemaphoreBound(seg, "semaphore", 1, 3)
	sync.NewCond(seg, "cond")
	sync.NewEvent(seg, "event")
	sync.NewBarrier(seg, "barrier", 3)
	want := map[string]string{
		"mutex":     "unlocked",
		"rlock":     "unlocked",
		"rwmutex":   "writer: unlocked; 0 readers",
		"semaphore": "1/3 available",
		"cond":      "lock unlocked",
		"event":     "clear",
		"barrier":   "0/3 waiting, generation 0",
	}
	objs := testutil.Must[[]*shm.Object](t)(seg.Objects())
	for _, o := range objs {
		if got := shm.Describe(o); got != want[o.Name()] || o.Kind().String() != o.Name() {
			t.Errorf("%s (%s): %q, want %q", o.Name(), o.Kind(), got, want[o.Name()])
		}
	}
	if len(objs) != len(want) {
		t.Fatalf("%d objects", len(objs))
	}
}
