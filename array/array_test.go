package array_test

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	gosync "sync"
	"sync/atomic"
	"testing"

	"github.com/shmkit/shmkit/array"
	"github.com/shmkit/shmkit/internal/testutil"
	"github.com/shmkit/shmkit/internal/testutil/segtest"
	"github.com/shmkit/shmkit/shm"
)

func TestArrayBasics(t *testing.T) {
	seg := segtest.New(t)
	a := testutil.Must[*array.Array[int64]](t)(array.NewFrom(seg, "a", []int64{1, 2, 3, -4}))
	if a.Len() != 4 || a.Load(3) != -4 {
		t.Fatal("NewFrom")
	}
	a.Store(0, 0x0102030405060708)
	// Element 0 sits little-endian at DataOffset in the segment.
	o := a.Object()
	if a.DataOffset() != o.Offset()+array.HeaderSize {
		t.Fatalf("DataOffset %d, object at %d", a.DataOffset(), o.Offset())
	}
	raw := o.Bytes()[array.HeaderSize:]
	if binary.LittleEndian.Uint64(raw) != 0x0102030405060708 || int64(binary.LittleEndian.Uint64(raw[24:])) != -4 {
		t.Fatalf("bytes % x", raw[:32])
	}
	dst := make([]int64, 10)
	if n := a.CopyTo(dst); n != 4 || dst[1] != 2 {
		t.Fatal("CopyTo", n, dst)
	}
	if n := a.CopyFrom([]int64{9, 8}); n != 2 || a.Load(1) != 8 || a.Load(2) != 3 {
		t.Fatal("CopyFrom", n)
	}
	u := a.Unsafe()
	u[2] = 77
	if a.Load(2) != 77 || cap(u) != 4 {
		t.Fatal("Unsafe does not alias", cap(u))
	}
	b := testutil.Must[*array.Array[int64]](t)(array.Open[int64](seg, "a"))
	if b.Load(2) != 77 {
		t.Fatal("Open sees other data")
	}
	z := testutil.Must[*array.Array[int64]](t)(array.New[int64](seg, "empty", 0))
	if z.Len() != 0 || len(z.Unsafe()) != 0 {
		t.Fatal("empty array")
	}
	if s := shm.Describe(o); !strings.HasPrefix(s, "4 × 8-byte int64, data at segment offset") {
		t.Fatalf("describe = %q", s)
	}
}

func TestArrayIndexPanics(t *testing.T) {
	seg := segtest.New(t)
	a := testutil.Must[*array.Array[int32]](t)(array.New[int32](seg, "a", 3))
	for _, i := range []int{-1, 3} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("Load(%d) did not panic", i)
				}
			}()
			a.Load(i)
		}()
	}
}

func TestArrayBadInput(t *testing.T) {
	seg := segtest.New(t)
	if _, err := array.New[int64](seg, "neg", -1); !errors.Is(err, os.ErrInvalid) {
		t.Fatalf("negative length = %v", err)
	}
	if _, err := array.New[*int](seg, "ptr", 3); !errors.Is(err, os.ErrInvalid) {
		t.Fatalf("array of pointers = %v", err)
	}
	if _, err := array.New[string](seg, "str", 3); !errors.Is(err, os.ErrInvalid) {
		t.Fatalf("array of strings = %v", err)
	}
	testutil.Must[*array.Array[int64]](t)(array.New[int64](seg, "a", 8))
	if _, err := array.Open[int32](seg, "a"); !errors.Is(err, shm.ErrWrongKind) {
		t.Fatalf("Open[int32] of int64s = %v", err)
	}
	if _, err := array.Open[float64](seg, "a"); !errors.Is(err, shm.ErrWrongKind) {
		t.Fatalf("Open[float64] of int64s = %v", err)
	}
	m := testutil.Must[*shm.Object](t)(seg.AllocObject("m", shm.KindMutex, 1, 128, 128, nil))
	if _, err := array.Open[int64](seg, "m"); !errors.Is(err, shm.ErrWrongKind) {
		t.Fatalf("Open of a mutex = %v", err)
	}
	var arr array.Array[int64]
	if err := arr.UnmarshalBinary(testutil.Must[[]byte](t)(m.Handle().MarshalBinary())); !errors.Is(err, shm.ErrWrongKind) {
		t.Fatalf("array from a mutex handle = %v", err)
	}
	// A hostile length that does not fit the object.
	h := testutil.Must[*array.Array[int64]](t)(array.New[int64](seg, "hostile", 4))
	binary.LittleEndian.PutUint64(h.Object().Bytes()[16:], 1<<40)
	if _, err := array.Open[int64](seg, "hostile"); !errors.Is(err, shm.ErrCorrupt) {
		t.Fatalf("Open with a hostile length = %v", err)
	}
	if s := shm.Describe(h.Object()); !strings.HasPrefix(s, "corrupt") {
		t.Fatalf("describe hostile = %q", s)
	}
	// A bare object too small for a header.
	tiny := testutil.Must[*shm.Object](t)(seg.AllocObject("tiny", shm.KindArray, 1, 8, 8, nil))
	if _, err := array.Open[int64](seg, tiny.Name()); err == nil {
		t.Fatal("opened a tiny array")
	}
}

func TestIntArrayGoroutines(t *testing.T) {
	seg := segtest.New(t)
	a := testutil.Must[*array.Int[uint32]](t)(array.NewInt[uint32](seg, "a", 5))
	var wg gosync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for i := range 5000 {
				a.Add(i%5, 1)
			}
		})
	}
	wg.Wait()
	for i := range 5 {
		if a.Load(i) != 4000 {
			t.Fatalf("a[%d] = %d", i, a.Load(i))
		}
	}
	if a.Swap(0, 1) != 4000 || !a.CompareAndSwap(0, 1, 2) || a.CompareAndSwap(0, 1, 3) || a.Load(0) != 2 {
		t.Fatal("swap/cas")
	}
	a.Store(4, 9)
	if a.Array.Load(4) != 9 {
		t.Fatal("atomic and plain views differ")
	}
}

func TestArrayLockGoroutines(t *testing.T) {
	seg := segtest.New(t)
	a := testutil.Must[*array.Array[int64]](t)(array.New[int64](seg, "a", 2))
	ctx := context.Background()
	var wg gosync.WaitGroup
	var torn atomic.Int32
	for range 4 {
		wg.Go(func() {
			for range 2000 {
				if err := a.Lock(ctx); err != nil {
					t.Error(err)
					return
				}
				// Invariant under the lock: a[0] + a[1] == 0.
				if a.Load(0)+a.Load(1) != 0 {
					torn.Add(1)
				}
				a.Store(0, a.Load(0)+1)
				a.Store(1, a.Load(1)-1)
				a.Unlock()
			}
		})
	}
	wg.Wait()
	if torn.Load() != 0 || a.Load(0) != 8000 {
		t.Fatalf("torn %d, a[0] = %d", torn.Load(), a.Load(0))
	}
}

// A named segment's array, read by Python through SharedMemory(name).buf at
// DataOffset: the promise numpy's offset= relies on.
func TestArrayFromPython(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not installed")
	}
	name := fmt.Sprintf("shmkit-test-array-%d", os.Getpid())
	seg, err := shm.Create(name, 1<<16, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { seg.Close(); shm.Remove(name) })
	testutil.Must[*array.Array[int32]](t)(array.NewFrom(seg, "pad", []int32{7})) // so the array is not first
	a := testutil.Must[*array.Array[int64]](t)(array.NewFrom(seg, "a", []int64{10, -20, 30, 1 << 40}))
	script := `
import struct, sys
from multiprocessing import shared_memory, resource_tracker
m = shared_memory.SharedMemory(name=sys.argv[1])
resource_tracker.unregister(m._name, "shared_memory")  # attach only: never unlink
print(*struct.unpack_from("<4q", m.buf, int(sys.argv[2])))
m.close()
`
	out, err := exec.Command(py, "-c", script, name, fmt.Sprint(a.DataOffset())).CombinedOutput()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, out)
	}
	if got := strings.TrimSpace(string(out)); got != "10 -20 30 1099511627776" {
		t.Fatalf("python read %q", got)
	}
}
