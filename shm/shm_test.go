package shm_test

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/shmkit/shmkit/internal/testutil/leak"
	"github.com/shmkit/shmkit/shm"
)

// TestMain doubles as an unrelated process: with SHMKIT_TEST_OPEN set it
// opens that named segment, finds object "greeting" and prints it; with
// SHMKIT_TEST_CREATE_LOOP set it creates segments until it is killed. It
// does not go through package process, as a foreign program would not
// (and package shm sits below process).
func TestMain(m *testing.M) {
	if name := os.Getenv("SHMKIT_TEST_OPEN"); name != "" {
		os.Exit(openAndPrint(name))
	}
	if name := os.Getenv(allocHoldEnv); name != "" {
		os.Exit(allocHold(name))
	}
	if prefix := os.Getenv(createLoopEnv); prefix != "" {
		os.Exit(createLoop(prefix))
	}
	os.Exit(leak.Main(m))
}

func openAndPrint(name string) int {
	s, err := shm.Open(name)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer s.Close()
	o, err := s.Lookup("greeting")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Printf("%s", bytes.TrimRight(o.Bytes(), "\x00"))
	copy(o.Bytes(), "written by the other process")
	return 0
}

// testName returns a unique segment name removed when the test ends.
func testName(t testing.TB) string {
	name := fmt.Sprintf("shmkit-test-%d-%s", os.Getpid(), strings.NewReplacer("/", "-").Replace(t.Name()))
	t.Cleanup(func() { os.Remove(filepath.Join(shm.Dir, name)) })
	return name
}

func create(t testing.TB, size int, opts *shm.Options) *shm.Segment {
	t.Helper()
	s, err := shm.Create(testName(t), size, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func TestCreateOpenLookup(t *testing.T) {
	s := create(t, 1<<16, nil)
	o, err := s.Alloc("greeting", 100, 64)
	if err != nil {
		t.Fatal(err)
	}
	if o.Offset()%64 != 0 || o.Size() != 100 {
		t.Fatalf("object at %d size %d", o.Offset(), o.Size())
	}
	copy(o.Bytes(), "hello")
	s2, err := shm.Open(s.Name())
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Close()
	o2, err := s2.Lookup("greeting")
	if err != nil {
		t.Fatal(err)
	}
	if o2.Offset() != o.Offset() || !bytes.HasPrefix(o2.Bytes(), []byte("hello")) {
		t.Fatalf("other mapping sees %q at %d", o2.Bytes()[:5], o2.Offset())
	}
	// The raw file holds the object's bytes at the documented offset.
	raw, err := os.ReadFile(filepath.Join(shm.Dir, s.Name()))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.HasPrefix(raw[o.Offset():], []byte("hello")) || len(raw) != s.Size() {
		t.Fatal("object bytes not at Offset() in the file")
	}
	if _, err := s2.Lookup("nope"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Lookup missing = %v", err)
	}
	info := s2.Info()
	if info.CreatorPID != os.Getpid() || info.Stale || info.Objects != 1 || info.ID != s.ID() {
		t.Fatalf("Info = %+v", info)
	}
}

func TestCreateErrors(t *testing.T) {
	s := create(t, 4096, nil)
	if _, err := shm.Create(s.Name(), 4096, nil); !errors.Is(err, os.ErrExist) {
		t.Fatalf("Create existing = %v", err)
	}
	if _, err := shm.Open("shmkit-test-does-not-exist"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Open missing = %v", err)
	}
	for _, name := range []string{"", "/", "a/b", "..", ".", "x\x00y", "tab\there", strings.Repeat("n", 300), ".shmkit-tmp-1"} {
		if _, err := shm.Create(name, 4096, nil); !errors.Is(err, os.ErrInvalid) {
			t.Errorf("Create(%q) = %v, want ErrInvalid", name, err)
		}
		if _, err := shm.Open(name); !errors.Is(err, os.ErrInvalid) {
			t.Errorf("Open(%q) = %v, want ErrInvalid", name, err)
		}
	}
	for _, size := range []int{0, -1, shm.MaxSize + 1} {
		if _, err := shm.Anonymous(size, nil); !errors.Is(err, os.ErrInvalid) {
			t.Errorf("Anonymous(%d) = %v", size, err)
		}
	}
	if _, err := shm.Anonymous(4096, &shm.Options{Objects: -1}); !errors.Is(err, os.ErrInvalid) {
		t.Errorf("Objects -1: %v", err)
	}
	// Far more than any /dev/shm: a clear ErrNoSpace before anything is made.
	_, err := shm.Create(testName(t)+"-huge", 1<<39, nil)
	if !errors.Is(err, shm.ErrNoSpace) || !strings.Contains(err.Error(), "free") {
		t.Fatalf("huge Create = %v", err)
	}
}

func TestModeAndSlashName(t *testing.T) {
	name := testName(t)
	s, err := shm.Create("/"+name, 4096, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	fi, err := os.Stat(filepath.Join(shm.Dir, name))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v, %v", fi.Mode(), err)
	}
	s2, err := shm.Create(name+"-b", 4096, &shm.Options{Mode: 0o640})
	if err != nil {
		t.Fatal(err)
	}
	defer s2.Unlink()
	defer s2.Close()
	fi, _ = os.Stat(filepath.Join(shm.Dir, s2.Name()))
	if fi.Mode().Perm() != 0o640 {
		t.Fatalf("mode %v, want 0640", fi.Mode())
	}
	if err := s.Unlink(); err != nil {
		t.Fatal(err)
	}
	if err := s.Unlink(); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("second Unlink = %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatalf("second Close = %v", err)
	}
}

func TestAllocLimits(t *testing.T) {
	s, err := shm.Anonymous(8192, &shm.Options{Objects: 3})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Alloc("a", 4096, 4096); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Alloc("a", 8, 8); !errors.Is(err, os.ErrExist) {
		t.Fatalf("duplicate = %v", err)
	}
	if _, err := s.Alloc("b", 8192, 8); !errors.Is(err, shm.ErrFull) {
		t.Fatalf("too big = %v", err)
	}
	for _, c := range []struct {
		name        string
		size, align int
	}{{"", 8, 8}, {"x", 0, 8}, {"x", -5, 8}, {"x", 8, 3}, {"x", 8, 8192}, {strings.Repeat("n", 41), 8, 8}} {
		if _, err := s.Alloc(c.name, c.size, c.align); !errors.Is(err, os.ErrInvalid) {
			t.Errorf("Alloc(%q, %d, %d) = %v", c.name, c.size, c.align, err)
		}
	}
	if _, err := s.AllocObject("m", shm.KindMutex, 1, 64, 8, func(b []byte) { b[0] = 9 }); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Alloc("c", 8, 8); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Alloc("d", 8, 8); !errors.Is(err, shm.ErrFull) {
		t.Fatalf("directory full = %v", err)
	}
	m, err := s.LookupKind("m", shm.KindMutex, 1)
	if err != nil || m.Bytes()[0] != 9 {
		t.Fatalf("LookupKind = %v (init ran: %v)", err, err == nil && m.Bytes()[0] == 9)
	}
	if _, err := s.LookupKind("m", shm.KindQueue, 1); !errors.Is(err, shm.ErrWrongKind) {
		t.Fatalf("wrong kind = %v", err)
	}
	if _, err := s.LookupKind("m", shm.KindMutex, 2); !errors.Is(err, shm.ErrWrongKind) {
		t.Fatalf("wrong version = %v", err)
	}
	objs, err := s.Objects()
	if err != nil || len(objs) != 3 {
		t.Fatalf("Objects = %d, %v", len(objs), err)
	}
}

func TestConcurrentAlloc(t *testing.T) {
	s, err := shm.Anonymous(1<<20, &shm.Options{Objects: 256})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Go(func() {
			for i := range 50 {
				o, err := s.Alloc(fmt.Sprintf("g%d-%d", g, i), 100, 16)
				if err != nil {
					t.Error(err)
					return
				}
				for j := range o.Bytes() {
					o.Bytes()[j] = byte(g)
				}
			}
		})
	}
	wg.Wait()
	objs, err := s.Objects()
	if err != nil || len(objs) != 200 {
		t.Fatalf("%d objects, %v", len(objs), err)
	}
	for _, o := range objs {
		want := byte(o.Name()[1] - '0')
		for _, c := range o.Bytes() {
			if c != want {
				t.Fatalf("object %s overlaps another", o.Name())
			}
		}
	}
}

func TestHandleRoundTrip(t *testing.T) {
	s, err := shm.Anonymous(4096, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	o, _ := s.AllocObject("ev", shm.KindEvent, 1, 128, 128, nil)
	b, err := o.Handle().MarshalBinary()
	if err != nil {
		t.Fatal(err)
	}
	var h shm.Handle
	if err := h.UnmarshalBinary(b); err != nil || h != o.Handle() {
		t.Fatalf("round trip: %+v, %v", h, err)
	}
	o2, err := shm.Attach(h, shm.KindEvent, 1)
	if err != nil || o2.Offset() != o.Offset() {
		t.Fatalf("Attach = %v", err)
	}
	if _, err := shm.Attach(h, shm.KindMutex, 1); !errors.Is(err, shm.ErrWrongKind) {
		t.Fatalf("Attach wrong kind = %v", err)
	}
	bad := h
	bad.Offset += 8
	if _, err := shm.Attach(bad, shm.KindEvent, 1); !errors.Is(err, shm.ErrCorrupt) {
		t.Fatalf("Attach moved offset = %v", err)
	}
	bad = h
	bad.SegmentID ^= 0xff00
	if _, err := shm.Attach(bad, shm.KindEvent, 1); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Attach unknown anonymous segment = %v", err)
	}
	for _, g := range [][]byte{nil, []byte("SKH1"), b[:len(b)-1], append(bytes.Clone(b), 0)} {
		if err := new(shm.Handle).UnmarshalBinary(g); !errors.Is(err, shm.ErrCorrupt) {
			t.Errorf("Unmarshal(%q) = %v", g, err)
		}
	}
}

// corrupt creates a valid segment file, applies f to its bytes, and
// returns the segment name.
func corrupt(t *testing.T, f func(b []byte) []byte) string {
	t.Helper()
	s := create(t, 4096, nil)
	o, err := s.Alloc("obj", 64, 8)
	if err != nil {
		t.Fatal(err)
	}
	_ = o
	name := s.Name()
	s.Close()
	path := filepath.Join(shm.Dir, name)
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, f(b), 0o600); err != nil {
		t.Fatal(err)
	}
	return name
}

func TestOpenHostile(t *testing.T) {
	cases := []struct {
		name string
		f    func([]byte) []byte
		want error
	}{
		{"empty", func(b []byte) []byte { return nil }, shm.ErrNotShmkit},
		{"notshmkit", func(b []byte) []byte { return bytes.Repeat([]byte("x"), 8192) }, shm.ErrNotShmkit},
		{"magic", func(b []byte) []byte { b[0] ^= 1; return b }, shm.ErrNotShmkit},
		{"version", func(b []byte) []byte { b[8] = 99; return b }, shm.ErrVersion},
		{"checksum", func(b []byte) []byte { b[40] ^= 1; return b }, shm.ErrCorrupt},
		{"truncated", func(b []byte) []byte { return b[:len(b)-4096] }, shm.ErrCorrupt},
		{"shortheader", func(b []byte) []byte { return b[:100] }, shm.ErrNotShmkit},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			name := corrupt(t, c.f)
			s, err := shm.Open(name)
			if !errors.Is(err, c.want) {
				s.Close()
				t.Fatalf("Open = %v, want %v", err, c.want)
			}
		})
	}
	// A directory entry pointing out of bounds: Open succeeds (the header
	// is fine) but the entry is refused.
	name := corrupt(t, func(b []byte) []byte {
		b[256+48+7] = 0x7f // entry 0 offset: huge
		return b
	})
	s, err := shm.Open(name)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := s.Lookup("obj"); !errors.Is(err, shm.ErrCorrupt) {
		t.Fatalf("Lookup of out-of-bounds entry = %v", err)
	}
	if _, err := s.Objects(); !errors.Is(err, shm.ErrCorrupt) {
		t.Fatalf("Objects = %v", err)
	}
	// A directory count past capacity.
	b := s.Bytes()
	b[144], b[145] = 0xff, 0xff // the published count (layout.go)
	if _, err := s.Lookup("obj"); !errors.Is(err, shm.ErrCorrupt) {
		t.Fatalf("Lookup with count over capacity = %v", err)
	}
	if _, err := s.Alloc("x", 8, 8); !errors.Is(err, shm.ErrCorrupt) {
		t.Fatalf("Alloc with count over capacity = %v", err)
	}
}

func TestUnrelatedProcessOpens(t *testing.T) {
	s := create(t, 4096, nil)
	o, err := s.Alloc("greeting", 64, 8)
	if err != nil {
		t.Fatal(err)
	}
	copy(o.Bytes(), "hi from the creator")
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(exe)
	cmd.Env = append(os.Environ(), "SHMKIT_TEST_OPEN="+s.Name())
	out, err := cmd.CombinedOutput()
	if err != nil || string(out) != "hi from the creator" {
		t.Fatalf("child: %q, %v", out, err)
	}
	if !bytes.HasPrefix(o.Bytes(), []byte("written by the other process")) {
		t.Fatalf("creator sees %q", o.Bytes())
	}
}

func TestPythonInterop(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not on PATH: Python interop not tested")
	}
	s := create(t, 4096, nil)
	o, err := s.Alloc("buf", 16, 8)
	if err != nil {
		t.Fatal(err)
	}
	copy(o.Bytes(), "from go")
	// Python reads the bytes at the object's offset and writes its own
	// after them. It unregisters from its resource tracker, which would
	// otherwise unlink a segment it did not create (Python < 3.13).
	script := `
import sys
from multiprocessing import shared_memory, resource_tracker
name, off = sys.argv[1], int(sys.argv[2])
shm = shared_memory.SharedMemory(name=name)
try:
    resource_tracker.unregister(shm._name, "shared_memory")
except Exception:
    pass
print(bytes(shm.buf[off:off+7]).decode(), end="")
shm.buf[off+8:off+15] = b"from py"
shm.close()
`
	out, err := exec.Command(py, "-c", script, s.Name(), strconv.Itoa(o.Offset())).CombinedOutput()
	if err != nil || string(out) != "from go" {
		t.Fatalf("python: %q, %v", out, err)
	}
	if got := string(o.Bytes()[8:15]); got != "from py" {
		t.Fatalf("Go sees %q", got)
	}
	if _, err := os.Stat(filepath.Join(shm.Dir, s.Name())); err != nil {
		t.Fatalf("segment gone after Python closed it: %v", err)
	}
}

func TestList(t *testing.T) {
	s := create(t, 4096, nil)
	s.Alloc("one", 8, 8)
	l, err := shm.List()
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range l {
		if e.Name == s.Name() {
			if e.Err != nil || e.Info.Objects != 1 || e.Info.Stale || e.Info.CreatorPID != os.Getpid() {
				t.Fatalf("listed %+v", e)
			}
			return
		}
	}
	t.Fatalf("%s not listed", s.Name())
}

func ExampleCreate() {
	seg, err := shm.Create("shmkit-example-create", 1<<20, nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	defer seg.Unlink()
	defer seg.Close()
	obj, _ := seg.Alloc("greeting", 64, 8)
	copy(obj.Bytes(), "hello")

	// Another process (or Python's SharedMemory) opens it by name.
	other, _ := shm.Open("shmkit-example-create")
	defer other.Close()
	found, _ := other.Lookup("greeting")
	fmt.Printf("%s at offset %d\n", found.Bytes()[:5], found.Offset())
	// Output: hello at offset 8192
}

func BenchmarkCreateClose(b *testing.B) {
	name := testName(b)
	for b.Loop() {
		s, err := shm.Create(name, 1<<20, nil)
		if err != nil {
			b.Fatal(err)
		}
		s.Close()
		s.Unlink()
	}
}

func BenchmarkOpenClose(b *testing.B) {
	s := create(b, 1<<20, nil)
	for b.Loop() {
		o, err := shm.Open(s.Name())
		if err != nil {
			b.Fatal(err)
		}
		o.Close()
	}
}

func BenchmarkAnonymousClose(b *testing.B) {
	for b.Loop() {
		s, err := shm.Anonymous(1<<20, nil)
		if err != nil {
			b.Fatal(err)
		}
		s.Close()
	}
}
