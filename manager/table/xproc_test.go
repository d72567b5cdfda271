package table

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shmkit/shmkit/internal/testutil"
	"github.com/shmkit/shmkit/process"
)

type hammerArg struct {
	D     *Dict
	ID, N int
}

// hammer is a child's workload: its own keys set, checked, a third of them
// deleted; a shared counter incremented N times with Update; shared keys
// overwritten by everyone.
var hammer = process.Register("table.hammer", func(ctx context.Context, a hammerArg) (struct{}, error) {
	d := a.D
	for j := range a.N {
		k := fmt.Sprintf("p%d-%d", a.ID, j)
		if err := d.Set(ctx, k, []byte(k)); err != nil {
			return struct{}{}, err
		}
		if err := d.Set(ctx, fmt.Sprint("shared-", j%10), []byte(strconv.Itoa(a.ID))); err != nil {
			return struct{}{}, err
		}
		if v, ok, err := d.Get(ctx, k); err != nil || !ok || string(v) != k {
			return struct{}{}, fmt.Errorf("Get %s = %q %v %v", k, v, ok, err)
		}
		if j%3 == 0 {
			if ok, err := d.Delete(ctx, k); err != nil || !ok {
				return struct{}{}, fmt.Errorf("Delete %s = %v %v", k, ok, err)
			}
		}
		err := d.Update(ctx, "count", func(old []byte, ok bool) ([]byte, bool) {
			n, _ := strconv.Atoi(string(old))
			return []byte(strconv.Itoa(n + 1)), true
		})
		if err != nil {
			return struct{}{}, err
		}
	}
	return struct{}{}, nil
})

func TestDictProcesses(t *testing.T) {
	for _, procs := range []int{2, 4} {
		t.Run(fmt.Sprint(procs), func(t *testing.T) {
			ctx := testCtx(t)
			const n = 2000
			d := newTestDict(t, &Options{Entries: procs*n + 64, Stripes: 16})
			var ps []*process.Process
			for i := range procs {
				p, err := process.Start(ctx, hammer, hammerArg{D: d, ID: i, N: n})
				if err != nil {
					t.Fatal(err)
				}
				ps = append(ps, p)
			}
			for _, p := range ps {
				if err := p.Join(ctx); err != nil {
					t.Fatal(err)
				}
			}
			got, err := d.Snapshot(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if c := string(got["count"]); c != strconv.Itoa(procs*n) {
				t.Errorf("count = %s, want %d", c, procs*n)
			}
			want := 1 + 10
			for i := range procs {
				for j := range n {
					k := fmt.Sprintf("p%d-%d", i, j)
					v, ok := got[k]
					if j%3 == 0 {
						if ok {
							t.Fatalf("deleted key %s present", k)
						}
						continue
					}
					want++
					if string(v) != k {
						t.Fatalf("%s = %q", k, v)
					}
				}
			}
			for j := range 10 {
				if id, err := strconv.Atoi(string(got[fmt.Sprint("shared-", j)])); err != nil || id < 0 || id >= procs {
					t.Fatalf("shared-%d = %q", j, got[fmt.Sprint("shared-", j)])
				}
			}
			if len(got) != want {
				t.Fatalf("%d keys, want %d", len(got), want)
			}
			if l, _ := d.Len(ctx); l != want {
				t.Fatalf("Len = %d, want %d", l, want)
			}
		})
	}
}

type writerArg struct {
	D    *Dict
	Size int
}

// writer sets "hot" (and a key of its own) forever to values whose bytes
// are all the same, so a torn value shows.
var writer = process.Register("table.writer", func(ctx context.Context, a writerArg) (struct{}, error) {
	v := make([]byte, a.Size)
	for i := 0; ; i++ {
		for j := range v {
			v[j] = byte(i)
		}
		if err := a.D.Set(ctx, "hot", v[:a.Size-i%7]); err != nil {
			return struct{}{}, err
		}
		if err := a.D.Set(ctx, fmt.Sprint("k", i%100), v[:i%50]); err != nil {
			return struct{}{}, err
		}
	}
})

func checkWhole(t *testing.T, name string, v []byte, size int) {
	t.Helper()
	if len(v) > size || len(v) < size-6 {
		t.Fatalf("%s: %d bytes, want %d..%d", name, len(v), size-6, size)
	}
	for _, c := range v {
		if c != v[0] {
			t.Fatalf("%s: torn value: bytes %d and %d", name, v[0], c)
		}
	}
}

// TestKillMidWrite kills a process that loops Set, many times at random
// moments: every value read after is whole, the table stays consistent,
// and the lock the dead held (when it died in a Set) is taken over.
func TestKillMidWrite(t *testing.T) {
	ctx := testCtx(t)
	const size = 32 << 10
	d := newTestDict(t, &Options{Entries: 256, Bytes: 2 << 20, MaxValue: size, Stripes: 4})
	rounds := 12
	if testing.Short() {
		rounds = 4
	}
	for r := range rounds {
		p, err := process.Start(ctx, writer, writerArg{D: d, Size: size})
		if err != nil {
			t.Fatal(err)
		}
		// Let it run until it has written, then a little more.
		for {
			if ok, _ := d.Contains(ctx, "hot"); ok {
				break
			}
			time.Sleep(time.Millisecond)
		}
		time.Sleep(time.Duration(1+r%5) * time.Millisecond)
		p.Kill()
		<-p.Done()
		if code, _ := p.ExitCode(); code != -9 {
			t.Fatalf("writer exit code %d, want -9 (it failed: %v)", code, p.Join(ctx))
		}
		v, ok, err := d.Get(ctx, "hot")
		if err != nil || !ok {
			t.Fatalf("round %d: Get hot: %v %v", r, ok, err)
		}
		checkWhole(t, "hot", v, size)
		snap, err := d.Snapshot(ctx)
		if err != nil {
			t.Fatalf("round %d: Snapshot: %v", r, err)
		}
		if n, _ := d.Len(ctx); n != len(snap) {
			t.Fatalf("round %d: Len %d, Snapshot %d keys", r, n, len(snap))
		}
		// Others go on: a Set in every stripe works.
		for i := range 16 {
			if err := d.Set(ctx, fmt.Sprint("after", i), []byte("x")); err != nil {
				t.Fatalf("round %d: Set after the kill: %v", r, err)
			}
		}
	}
	t.Logf("a lock was taken over from the dead: %v", atomic.LoadUint32(u32(d.t.b, dirtyOff)) != 0)
	if err := d.Reclaim(ctx); err != nil {
		t.Fatal(err)
	}
	s := d.Stats()
	if free := freeBytes(t, d.t); s.CarvedBytes-arenaStart != s.UsedBytes+free {
		t.Fatalf("after Reclaim %d bytes carved, %d used, %d free: leak not recovered", s.CarvedBytes-arenaStart, s.UsedBytes, free)
	}
}

// TestErrFullIntact fills a table and checks a refused Set changed
// nothing, in a child too.
func TestErrFullIntact(t *testing.T) {
	ctx := testCtx(t)
	d := newTestDict(t, &Options{Entries: 50, Bytes: 8 << 10, MaxValue: 1000, Stripes: 4})
	want := map[string][]byte{}
	for i := 0; ; i++ {
		k, v := fmt.Sprint("k", i), bytes.Repeat([]byte{byte(i)}, 100+i)
		err := d.Set(ctx, k, v)
		if errors.Is(err, ErrFull) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		want[k] = v
	}
	for k := range want {
		if err := d.Set(ctx, k, make([]byte, 1000)); err != nil && !errors.Is(err, ErrFull) {
			t.Fatal(err)
		} else if err == nil {
			want[k] = make([]byte, 1000)
		}
	}
	checkContents(t, d, want)
	if _, err := process.Run(ctx, fill, d); !errors.Is(err, ErrFull) && (err == nil || !bytes.Contains([]byte(err.Error()), []byte(ErrFull.Error()))) {
		t.Fatalf("child Set on a full table: %v, want ErrFull", err)
	}
	checkContents(t, d, want)
}

var fill = process.Register("table.fill", func(ctx context.Context, d *Dict) (struct{}, error) {
	return struct{}{}, d.Set(ctx, "one more", make([]byte, 1000))
})

// freeBytes sums the blocks on the free lists (no allocator may run).
func freeBytes(t *testing.T, tb *table) int {
	var n uint64
	for c := range uint32(len(tb.l.classes)) {
		for idx := uint32(atomic.LoadUint64(tb.freeHead(c + 1))); idx != 0; {
			off, err := tb.blockOff(idx)
			if err != nil {
				t.Fatal(err)
			}
			n += tb.classSize(c + 1)
			idx = *u32(tb.arena, off+bNext)
		}
	}
	return int(n)
}

// TestReadsNeverTorn reads (lock-free) while two processes rewrite the same
// keys with values of changing sizes, so blocks are freed and reused under
// the readers: every value read must be whole.
func TestReadsNeverTorn(t *testing.T) {
	ctx := testCtx(t)
	const size = 512
	d := newTestDict(t, &Options{Entries: 256, Bytes: 1 << 20, MaxValue: size, Stripes: 2})
	var ps []*process.Process
	for range 2 {
		p, err := process.Start(ctx, writer, writerArg{D: d, Size: size})
		if err != nil {
			t.Fatal(err)
		}
		ps = append(ps, p)
	}
	defer func() {
		for _, p := range ps {
			p.Kill()
			<-p.Done()
		}
	}()
	deadline := time.Now().Add(time.Second)
	var reads, found int
	for time.Now().Before(deadline) {
		for i := range 100 {
			k := fmt.Sprint("k", i)
			v, ok, err := d.Get(ctx, k)
			if err != nil {
				t.Fatal(err)
			}
			reads++
			if ok {
				found++
				for _, c := range v {
					if c != v[0] {
						t.Fatalf("%s: torn value %v", k, v)
					}
				}
			}
		}
		if v, ok, _ := d.Get(ctx, "hot"); ok {
			checkWhole(t, "hot", v, size)
		}
	}
	t.Logf("%d reads, %d found", reads, found)
	if found == 0 {
		t.Fatal("the writers wrote nothing")
	}
}

// counter increments "count" with Update until "stop" is set, and returns
// how many increments it made.
var counter = process.Register("table.counter", func(ctx context.Context, d *Dict) (int, error) {
	for i := 0; ; i++ {
		if i%64 == 0 {
			if stop, err := d.Contains(ctx, "stop"); err != nil || stop {
				return i, err
			}
		}
		err := d.Update(ctx, "count", func(old []byte, ok bool) ([]byte, bool) {
			n, _ := strconv.Atoi(string(old))
			return []byte(strconv.Itoa(n + 1)), true
		})
		if err != nil {
			return i, err
		}
	}
})

// TestKillWhileOthersWork: one process counts with Update while writers
// on the same (single) stripe are SIGKILLed again and again, often while
// holding its lock. The counter ends exact: the survivor took every lock
// over and lost no increment.
func TestKillWhileOthersWork(t *testing.T) {
	ctx := testCtx(t)
	const size = 4 << 10
	d := newTestDict(t, &Options{Entries: 256, Bytes: 2 << 20, MaxValue: size, Stripes: 1})
	type result struct {
		n   int
		err error
	}
	done := make(chan result, 1)
	go func() {
		n, err := process.Run(ctx, counter, d)
		done <- result{n, err}
	}()
	for kills := range testutil.KillLoops(10) {
		p, err := process.Start(ctx, writer, writerArg{D: d, Size: size})
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(2+kills%5) * time.Millisecond)
		p.Kill()
		<-p.Done()
	}
	if err := d.Set(ctx, "stop", nil); err != nil {
		t.Fatal(err)
	}
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	v, _, err := d.Get(ctx, "count")
	if err != nil || string(v) != strconv.Itoa(r.n) {
		t.Fatalf("count = %s %v, want %d", v, err, r.n)
	}
	if v, ok, _ := d.Get(ctx, "hot"); ok {
		checkWhole(t, "hot", v, size)
	}
	t.Logf("%d increments while 10 writers were killed; lock taken over from the dead: %v",
		r.n, atomic.LoadUint32(u32(d.t.b, dirtyOff)) != 0)
}

type moverArg struct {
	L    *List
	Seed uint64
}

// mover moves the elements of a List around forever, each operation one
// rewrite: an element "m" inserted at a random place, the list reversed,
// rotated by one (Update), "m" removed.
var mover = process.Register("table.mover", func(ctx context.Context, a moverArg) (struct{}, error) {
	r := rand.New(rand.NewPCG(a.Seed, 7))
	rotate := func(vs [][]byte) [][]byte { return append(vs[1:], vs[0]) }
	for {
		n, err := a.L.Len(ctx)
		if err != nil {
			return struct{}{}, err
		}
		for _, err := range []error{
			a.L.Insert(ctx, r.IntN(n+1), []byte("m")),
			a.L.Reverse(ctx),
			a.L.Update(ctx, rotate),
			a.L.Remove(ctx, []byte("m")),
		} {
			if err != nil {
				return struct{}{}, err
			}
		}
	}
})

func moverElem(i int) []byte {
	return fmt.Appendf(nil, "%d:%s", i, bytes.Repeat([]byte{'x'}, i*37%300))
}

// checkRing checks that vs, without at most one "m", is 0…n-1 turned and
// maybe reversed: what the mover's operations keep, each atomically.
func checkRing(t *testing.T, vs [][]byte, n int) {
	t.Helper()
	var rest [][]byte
	for _, v := range vs {
		if string(v) != "m" {
			rest = append(rest, v)
		}
	}
	if len(vs)-len(rest) > 1 || len(rest) != n {
		t.Fatalf("%d elements, %d of them m: want %d and at most one", len(vs), len(vs)-len(rest), n)
	}
	start := slices.IndexFunc(rest, func(v []byte) bool { return bytes.Equal(v, moverElem(0)) })
	if start < 0 {
		t.Fatalf("element 0 missing from %q", rest)
	}
	for _, dir := range []int{1, -1} {
		ok := true
		for k := range n {
			if !bytes.Equal(rest[(start+dir*k+n)%n], moverElem(k)) {
				ok = false
				break
			}
		}
		if ok {
			return
		}
	}
	t.Fatalf("not a turn of 0…%d: %q", n-1, rest)
}

// TestListKillMidRewrite kills a process that moves a List's elements
// (Insert, Reverse, Update, Remove) at random instants: after each kill
// the list is whole — every element once, in an order one of the
// operations makes — the next operation works, and Reclaim recovers any
// block the dead leaked.
func TestListKillMidRewrite(t *testing.T) {
	ctx := testCtx(t)
	const n = 40
	l, err := NewList(newSeg(t, 8<<20), "l", &ListOptions{Len: 64, MaxValue: 512})
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		if _, err := l.Append(ctx, moverElem(i)); err != nil {
			t.Fatal(err)
		}
	}
	r := rand.New(rand.NewPCG(3, 4))
	var moved, midway int // rounds that found the list moved; with "m" in it
	last, _ := l.Snapshot(ctx)
	for round := range testutil.KillLoops(12) {
		p, err := process.Start(ctx, mover, moverArg{L: l, Seed: uint64(round)})
		if err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(5+r.IntN(20)) * time.Millisecond)
		p.Kill()
		<-p.Done()
		if code, _ := p.ExitCode(); code != -9 {
			t.Fatalf("mover exit code %d, want -9 (it failed: %v)", code, p.Join(ctx))
		}
		vs, err := l.Snapshot(ctx)
		if err != nil {
			t.Fatalf("round %d: Snapshot: %v", round, err)
		}
		checkRing(t, vs, n)
		if !slices.EqualFunc(vs, last, bytes.Equal) {
			moved++
		}
		if len(vs) > n {
			midway++
		}
		if c := loadCount(l.t.stripe(0)); c != uint64(len(vs)+1) {
			t.Fatalf("round %d: %d records for %d elements after an operation", round, c, len(vs))
		}
		if err := l.Remove(ctx, []byte("m")); err != nil && !errors.Is(err, ErrNotFound) {
			t.Fatalf("round %d: Remove m: %v", round, err)
		}
		last, _ = l.Snapshot(ctx)
	}
	t.Logf("the list had moved after %d kills, with the inserted element in it after %d", moved, midway)
	if moved == 0 {
		t.Fatal("the mover never moved the list before it was killed")
	}
	if err := l.t.reclaim(ctx); err != nil {
		t.Fatal(err)
	}
	s := l.t.stats()
	if free := freeBytes(t, l.t); s.CarvedBytes-arenaStart != s.UsedBytes+free {
		t.Fatalf("after Reclaim %d bytes carved, %d used, %d free: leak not recovered", s.CarvedBytes-arenaStart, s.UsedBytes, free)
	}
}
