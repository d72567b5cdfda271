package value_test

import (
	"context"
	"errors"
	"math"
	gosync "sync"
	"sync/atomic"
	"testing"

	"github.com/shmkit/shmkit/internal/testutil"
	"github.com/shmkit/shmkit/internal/testutil/segtest"
	"github.com/shmkit/shmkit/shm"
	"github.com/shmkit/shmkit/value"
)

// pattern is a struct whose every write is self-checking: all words derive
// from N, so a torn read (half of one write, half of another) shows.
type pattern struct {
	N   uint64
	A   [13]uint64
	B   uint32
	Sum uint64
}

func makePattern(n uint64) pattern {
	p := pattern{N: n, B: uint32(n * 7)}
	p.Sum = n
	for i := range p.A {
		p.A[i] = n*uint64(i+1) ^ 0x5555
		p.Sum += p.A[i]
	}
	p.Sum += uint64(p.B)
	return p
}

func (p pattern) ok() bool { return p == makePattern(p.N) }

func TestValueNoTornReadsGoroutines(t *testing.T) {
	seg := segtest.New(t)
	v := testutil.Must[*value.Value[pattern]](t)(value.New(seg, "p", makePattern(0)))
	ctx := testutil.Context(t)
	var stop atomic.Bool
	var reads atomic.Int64
	var wg gosync.WaitGroup
	for range 2 {
		wg.Go(func() {
			last := uint64(0)
			for !stop.Load() {
				p := v.Load()
				if !p.ok() {
					t.Errorf("torn read: %+v", p)
					return
				}
				if p.N < last {
					t.Errorf("went back from %d to %d", last, p.N)
				}
				last = p.N
				reads.Add(1)
			}
		})
	}
	for i := uint64(1); i <= 20000; i++ {
		if err := v.Store(ctx, makePattern(i)); err != nil {
			t.Fatal(err)
		}
	}
	stop.Store(true)
	wg.Wait()
	if got := v.Load(); got != makePattern(20000) || v.Seq() != 20000 {
		t.Fatalf("final %d, seq %d", got.N, v.Seq())
	}
}

func TestValueUpdateGoroutines(t *testing.T) {
	seg := segtest.New(t)
	type pair struct{ A, B int64 }
	v := testutil.Must[*value.Value[pair]](t)(value.New(seg, "p", pair{}))
	ctx := context.Background()
	var wg gosync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 2000 {
				if err := v.Update(ctx, func(p *pair) { p.A++; p.B-- }); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	if p := v.Load(); p.A != 8000 || p.B != -8000 {
		t.Fatalf("got %+v", p)
	}
	// A panicking update publishes nothing and releases the lock.
	func() {
		defer func() { recover() }()
		v.Update(ctx, func(p *pair) { p.A = -1; panic("no") })
	}()
	if p := v.Load(); p.A != 8000 {
		t.Fatalf("panicking update published %+v", p)
	}
	if err := v.Store(ctx, pair{1, 2}); err != nil || v.Load() != (pair{1, 2}) {
		t.Fatal("Store after panic", err)
	}
	// The panicking update's half-made copy is not the next one's start.
	if err := v.Update(ctx, func(p *pair) { p.A += 10 }); err != nil || v.Load() != (pair{11, 2}) {
		t.Fatalf("Update after panic: %+v, %v", v.Load(), err)
	}
}

// TestValueWritesDoNotAllocate: Store and Update allocate nothing (each
// allocated a copy of T per call before).
func TestValueWritesDoNotAllocate(t *testing.T) {
	v := testutil.Must[*value.Value[pattern]](t)(value.New(segtest.New(t), "p", makePattern(0)))
	ctx := context.Background()
	n := uint64(0)
	bump := func(p *pattern) { *p = makePattern(p.N + 1) }
	if a := testing.AllocsPerRun(100, func() {
		n++
		if err := v.Store(ctx, makePattern(n)); err != nil {
			t.Fatal(err)
		}
	}); a != 0 {
		t.Errorf("Store: %v allocations per call", a)
	}
	if a := testing.AllocsPerRun(100, func() {
		if err := v.Update(ctx, bump); err != nil {
			t.Fatal(err)
		}
	}); a != 0 {
		t.Errorf("Update: %v allocations per call", a)
	}
	if x := v.Load(); x.N != n+101 || !x.ok() {
		t.Fatalf("loaded pattern %d (whole: %v), want %d", x.N, x.ok(), n+101)
	}
}

func TestIntOps(t *testing.T) {
	seg := segtest.New(t)
	i64 := testutil.Must[*value.Int[int64]](t)(value.NewInt[int64](seg, "i64", -5))
	if i64.Load() != -5 || i64.Add(3) != -2 || i64.Add(-10) != -12 {
		t.Fatal("int64 add")
	}
	if i64.Swap(7) != -12 || !i64.CompareAndSwap(7, 8) || i64.CompareAndSwap(7, 9) || i64.Load() != 8 {
		t.Fatal("int64 swap/cas")
	}
	i32 := testutil.Must[*value.Int[int32]](t)(value.NewInt[int32](seg, "i32", math.MaxInt32))
	if i32.Add(1) != math.MinInt32 || i32.Add(-1) != math.MaxInt32 {
		t.Fatal("int32 wraps")
	}
	u32 := testutil.Must[*value.Int[uint32]](t)(value.NewInt[uint32](seg, "u32", 0))
	if u32.Add(^uint32(0)) != math.MaxUint32 {
		t.Fatal("uint32")
	}
	// The number is little-endian at DataOffset, next to nothing else.
	b := i32.Object().Bytes()[value.DataOffset:]
	if b[0] != 0xff || b[1] != 0xff || b[2] != 0xff || b[3] != 0x7f || b[4] != 0 {
		t.Fatalf("int32 bytes % x", b[:8])
	}
	f := testutil.Must[*value.Float[float64]](t)(value.NewFloat(seg, "f", 1.5))
	if f.Add(0.25) != 1.75 || f.Swap(3) != 1.75 || !f.CompareAndSwap(3, 4) || f.Load() != 4 {
		t.Fatal("float64")
	}
	f32 := testutil.Must[*value.Float[float32]](t)(value.NewFloat[float32](seg, "f32", 2))
	if f32.Add(0.5) != 2.5 {
		t.Fatal("float32")
	}
	if err := f.Update(context.Background(), func(x *float64) { *x *= 2 }); err != nil || f.Load() != 8 {
		t.Fatal("float update", err)
	}
	var wg gosync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for range 10000 {
				i64.Add(1)
				f.Add(1)
			}
		})
	}
	wg.Wait()
	if i64.Load() != 40008 || f.Load() != 40008 {
		t.Fatalf("concurrent adds: %d %g", i64.Load(), f.Load())
	}
	if s := shm.Describe(i32.Object()); s != "int32 = 2147483647; numpy <i4; lock unlocked" {
		t.Fatalf("describe = %q", s)
	}
}

func TestWrongTypes(t *testing.T) {
	seg := segtest.New(t)
	testutil.Must[*value.Int[int64]](t)(value.NewInt[int64](seg, "i", 1))
	if _, err := value.OpenInt[int32](seg, "i"); !errors.Is(err, shm.ErrWrongKind) {
		t.Fatalf("OpenInt[int32] of an int64 = %v", err)
	}
	if _, err := value.OpenFloat[float64](seg, "i"); !errors.Is(err, shm.ErrWrongKind) {
		t.Fatalf("OpenFloat of an int64 = %v", err)
	}
	if _, err := value.Open[int64](seg, "i"); !errors.Is(err, shm.ErrWrongKind) {
		t.Fatalf("Open (sequence-locked) of an Int = %v", err)
	}
	if _, err := value.New(seg, "s", "no strings"); err == nil {
		t.Fatal("Value[string] created")
	}
	type withPtr struct{ P *int }
	if _, err := value.New(seg, "p", withPtr{}); err == nil {
		t.Fatal("Value with a pointer created")
	}
	m := testutil.Must[*shm.Object](t)(seg.AllocObject("mutex", shm.KindMutex, 1, 128, 128, nil))
	h := testutil.Must[[]byte](t)(m.Handle().MarshalBinary())
	var v value.Int[int64]
	if err := v.UnmarshalBinary(h); !errors.Is(err, shm.ErrWrongKind) {
		t.Fatalf("Int from a mutex handle = %v", err)
	}
	i := testutil.Must[*value.Int[int64]](t)(value.OpenInt[int64](seg, "i"))
	h = testutil.Must[[]byte](t)(i.MarshalBinary())
	if err := v.UnmarshalBinary(h); err != nil || v.Load() != 1 {
		t.Fatalf("Int from its handle = %v", err)
	}
	var w value.Int[uint32]
	if err := w.UnmarshalBinary(h); !errors.Is(err, shm.ErrWrongKind) {
		t.Fatalf("Int[uint32] from an Int[int64] handle = %v", err)
	}
}
