package array_test

// Go → Python → Go through python/shmkit.py: Python opens a Go-made named
// segment by name, finds arrays and values by theirs, checks what Go
// wrote and writes its own, and Go checks what Python wrote. Run with
// numpy (Debian's python3-numpy for /usr/bin/python3; .ci/run installs
// it) and without (the same script with numpy hidden: memoryviews).

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/shmkit/shmkit/array"
	"github.com/shmkit/shmkit/internal/testutil"
	"github.com/shmkit/shmkit/internal/testutil/segtest"
	"github.com/shmkit/shmkit/shm"
	"github.com/shmkit/shmkit/sync"
	"github.com/shmkit/shmkit/value"
)

var pythonDir = filepath.Join("..", "python")

// python returns a Python 3, one with numpy if withNumpy, or skips the
// test saying why. /usr/bin/python3 comes first: it is the one Debian's
// python3-numpy serves (a python3 on PATH may be another, without numpy).
func python(t *testing.T, withNumpy bool) string {
	t.Helper()
	var found []string
	for _, c := range []string{"/usr/bin/python3", "python3"} {
		p, err := exec.LookPath(c)
		if err != nil || (len(found) > 0 && found[0] == p) {
			continue
		}
		found = append(found, p)
		if !withNumpy || exec.Command(p, "-c", "import numpy").Run() == nil {
			return p
		}
	}
	if len(found) == 0 {
		t.Skip("no python3 (neither /usr/bin/python3 nor on PATH): python/shmkit.py not tested")
	}
	t.Skipf("no numpy for %s (apt-get install python3-numpy): python/shmkit.py's numpy path not tested", strings.Join(found, " or "))
	return ""
}

// namedSegment creates a named segment removed at cleanup.
func namedSegment(t *testing.T, tag string) *shm.Segment {
	t.Helper()
	name := fmt.Sprintf("shmkit-test-py-%d-%s", os.Getpid(), tag)
	seg, err := shm.Create(name, 1<<20, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { seg.Close(); shm.Remove(name) })
	return seg
}

type rec struct {
	ID    int64
	Score float64
}

func TestPythonByName(t *testing.T) {
	for _, mode := range []struct {
		name  string
		numpy bool
	}{{"numpy", true}, {"memoryview", false}} {
		t.Run(mode.name, func(t *testing.T) {
			py := python(t, mode.numpy)
			pythonRoundTrip(t, py, mode.numpy)
		})
	}
}

// objects is what Go made for the script; the comments in
// python/tests/roundtrip.py say the same.
type objects struct {
	samples *array.Array[float64]
	counts  *array.Array[int32]
	points  *array.Array[[3]float32]
	recs    *array.Array[rec]
	counter *value.Int[int64]
	temp    *value.Float[float64]
	flags   *value.Int[uint32]
	ratio   *value.Float[float32]
}

func makeObjects(t *testing.T, seg *shm.Segment) objects {
	var o objects
	var err error
	samples := make([]float64, 8)
	for i := range samples {
		samples[i] = float64(i) * 1.5
	}
	must := func(e error) {
		t.Helper()
		if e != nil {
			t.Fatal(e)
		}
	}
	o.samples, err = array.NewFrom(seg, "samples", samples)
	must(err)
	o.counts, err = array.NewFrom(seg, "counts", []int32{10, 20, 30})
	must(err)
	o.points, err = array.New[[3]float32](seg, "points", 4)
	must(err)
	o.recs, err = array.NewFrom(seg, "recs", []rec{{7, 0}, {8, 0}})
	must(err)
	_, err = array.New[complex64](seg, "waves", 2)
	must(err)
	o.counter, err = value.NewInt[int64](seg, "counter", -7)
	must(err)
	o.temp, err = value.NewFloat(seg, "temp", 21.5)
	must(err)
	o.flags, err = value.NewInt[uint32](seg, "flags", 1)
	must(err)
	o.ratio, err = value.NewFloat[float32](seg, "ratio", 0.5)
	must(err)
	_, err = value.New[int16](seg, "small", -3)
	must(err)
	_, err = value.New(seg, "pair", [2]int32{4, 5})
	must(err)
	_, err = value.New(seg, "rec", rec{1, 2})
	must(err)
	_, err = sync.NewMutex(seg, "lock")
	must(err)
	return o
}

// seen is the script's JSON line.
type seen struct {
	Numpy   bool
	Samples []float64
	Values  map[string]any
	Objects map[string]struct {
		Kind   string
		Offset int
		Size   int
		Dtype  *string
		Shape  []int
	}
	Errors map[string]string
}

func pythonRoundTrip(t *testing.T, py string, withNumpy bool) {
	seg := namedSegment(t, map[bool]string{true: "numpy", false: "memoryview"}[withNumpy])
	o := makeObjects(t, seg)
	cmd := exec.Command(py, filepath.Join(pythonDir, "tests", "roundtrip.py"), seg.Name())
	cmd.Env = append(os.Environ(), "PYTHONDONTWRITEBYTECODE=1")
	if !withNumpy {
		cmd.Env = append(cmd.Env, "SHMKIT_TEST_HIDE_NUMPY=1")
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s: %v\n%s%s", cmd, err, out, stderr.Bytes())
	}
	t.Logf("%s:\n%s", cmd, out)
	var s seen
	if err := json.Unmarshal(out, &s); err != nil {
		t.Fatalf("decoding the script's line: %v\n%s", err, out)
	}

	// What Python read of Go's writes.
	if s.Numpy != withNumpy {
		t.Errorf("python used numpy: %v, want %v", s.Numpy, withNumpy)
	}
	if want := []float64{0, 1.5, 3, 4.5, 6, 7.5, 9, 10.5}; !reflect.DeepEqual(s.Samples, want) {
		t.Errorf("python read samples %v, want %v", s.Samples, want)
	}
	wantValues := map[string]any{"counter": -7.0, "temp": 21.5, "flags": 1.0, "ratio": 0.5, "small": -3.0,
		"pair": []any{4.0, 5.0}, "rec_len": 16.0}
	if !reflect.DeepEqual(s.Values, wantValues) {
		t.Errorf("python read values %v, want %v", s.Values, wantValues)
	}
	checkListing(t, s, o)
	for what, msg := range s.Errors {
		t.Logf("python's error for %s: %s", what, msg)
	}

	// What Go reads of Python's writes.
	for i := range o.samples.Len() {
		if got, want := o.samples.Load(i), float64(i)*3; got != want {
			t.Errorf("samples[%d] = %g after python doubled it, want %g", i, got, want)
		}
	}
	if got := o.counts.Unsafe(); !reflect.DeepEqual(got, []int32{11, 21, 31}) {
		t.Errorf("counts = %v after python added 1", got)
	}
	if got := o.points.Load(1); got != [3]float32{1, 2, 3} || o.points.Load(0) != [3]float32{} {
		t.Errorf("points = %v after python set points[1]", o.points.Unsafe())
	}
	if o.counter.Load() != -42 || o.temp.Load() != -0.25 || o.flags.Load() != 0xDEADBEEF || o.ratio.Load() != 0.125 {
		t.Errorf("values after python wrote: counter %d, temp %g, flags %#x, ratio %g",
			o.counter.Load(), o.temp.Load(), o.flags.Load(), o.ratio.Load())
	}
	if withNumpy {
		if got := o.recs.Unsafe(); !reflect.DeepEqual(got, []rec{{7, 0.5}, {8, 0.25}}) {
			t.Errorf("recs = %v after python set the scores", got)
		}
	}
}

// checkListing compares Python's objects() with what Go knows: data
// offsets, sizes, recorded types.
func checkListing(t *testing.T, s seen, o objects) {
	t.Helper()
	str := func(p *string) string {
		if p == nil {
			return "None"
		}
		return *p
	}
	for _, c := range []struct {
		name, kind string
		offset     int
		size       int
		dtype      string
		shape      []int
	}{
		{"samples", "array", o.samples.DataOffset(), 64, "<f8", []int{8}},
		{"points", "array", o.points.DataOffset(), 48, "(3,)<f4", []int{4}},
		{"recs", "array", o.recs.DataOffset(), 32, "None", []int{2}},
		{"waves", "array", -1, 16, "<c8", []int{2}},
		{"counter", "value", o.counter.Object().Offset() + value.DataOffset, 8, "<i8", nil},
		{"ratio", "value", o.ratio.Object().Offset() + value.DataOffset, 4, "<f4", nil},
		{"pair", "value", -1, 8, "(2,)<i4", nil},
		{"rec", "value", -1, 16, "None", nil},
		{"lock", "mutex", -1, -1, "None", nil},
	} {
		got, ok := s.Objects[c.name]
		switch {
		case !ok:
			t.Errorf("python's objects() has no %q: %v", c.name, s.Objects)
		case got.Kind != c.kind || (c.offset >= 0 && got.Offset != c.offset) || (c.size >= 0 && got.Size != c.size) ||
			str(got.Dtype) != c.dtype || !reflect.DeepEqual(got.Shape, c.shape):
			t.Errorf("python lists %q as %+v (dtype %s), want kind %s, offset %d, size %d, dtype %s, shape %v",
				c.name, got, str(got.Dtype), c.kind, c.offset, c.size, c.dtype, c.shape)
		}
	}
}

// Bad segments and bad objects are refused with shmkit.Error's
// subclasses, as Go refuses them: a foreign or tiny file, another layout
// version, a changed header, a size that disagrees with the file, a
// directory entry out of bounds, an array longer than its object, a
// recorded type that does not fit the elements, a value of no flavor.
func TestPythonRefusesBadSegments(t *testing.T) {
	py := python(t, false)
	var cases []string
	file := func(tag string, b []byte, want string) {
		name := fmt.Sprintf("shmkit-test-py-%d-%s", os.Getpid(), tag)
		path := filepath.Join(shm.Dir, name)
		if err := os.WriteFile(path, b, 0o600); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { os.Remove(path) })
		cases = append(cases, name+":"+want)
	}
	file("foreign", bytes.Repeat([]byte("x"), 4096), "NotShmkitError")
	file("tiny", []byte("SHMKITSG"), "NotShmkitError")

	good := namedSegment(t, "good")
	testutil.Must[*array.Array[int64]](t)(array.New[int64](good, "a", 4))
	file("longer", append(bytes.Clone(good.Bytes()), make([]byte, 4096)...), "CorruptError")

	version := namedSegment(t, "version")
	version.Bytes()[8] = 99
	cases = append(cases, version.Name()+":VersionError")

	changed := namedSegment(t, "checksum")
	changed.Bytes()[48] ^= 1 // the creation time, under the checksum
	cases = append(cases, changed.Name()+":CorruptError")

	dir := namedSegment(t, "directory")
	testutil.Must[*array.Array[int64]](t)(array.New[int64](dir, "a", 4))
	dir.Bytes()[256+48+7] = 0x7f // entry 0's offset: far past the end
	cases = append(cases, dir.Name()+":CorruptError")

	objs := namedSegment(t, "objects")
	long := testutil.Must[*array.Array[int64]](t)(array.New[int64](objs, "long", 4))
	long.Object().Bytes()[16+5] = 1 // Len: 1<<40 elements
	lying := testutil.Must[*array.Array[int64]](t)(array.New[int64](objs, "lying", 4))
	copy(lying.Object().Bytes()[40:], "<i4") // 4-byte elements, says the type
	flavor := testutil.Must[*value.Int[int64]](t)(value.NewInt[int64](objs, "flavor", 1))
	flavor.Object().Bytes()[16] = 9
	cases = append(cases, objs.Name()+":CorruptError:long", objs.Name()+":CorruptError:lying", objs.Name()+":CorruptError:flavor")

	cmd := exec.Command(py, append([]string{filepath.Join(pythonDir, "tests", "corrupt.py")}, cases...)...)
	cmd.Env = append(os.Environ(), "PYTHONDONTWRITEBYTECODE=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s: %v\n%s", cmd, err, out)
	}
	t.Logf("python's errors:\n%s", out)
	if n := strings.Count(string(out), "\n"); n != len(cases) {
		t.Fatalf("%d lines for %d cases", n, len(cases))
	}
}

// The README's "Sharing with Python": its Go objects (made here as its
// Go block makes them) and its Python block, run as it stands on a
// segment of the test's own name; then Go sees what Python wrote.
func TestREADMEPythonRoundTrip(t *testing.T) {
	py := python(t, true)
	readme, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, section, ok := strings.Cut(string(readme), "## Sharing with Python")
	_, script, ok2 := strings.Cut(section, "```python\n")
	script, _, ok3 := strings.Cut(script, "```")
	if !ok || !ok2 || !ok3 || !strings.Contains(script, `"sensor"`) {
		t.Fatal(`README.md has no "## Sharing with Python" section with a python block opening "sensor"`)
	}
	seg := namedSegment(t, "readme")
	samples := testutil.Must[*array.Array[float64]](t)(array.NewFrom(seg, "samples", []float64{1.5, 2.5, 4}))
	count := testutil.Must[*value.Int[int64]](t)(value.NewInt[int64](seg, "count", 3))
	cmd := exec.Command(py, "-c", strings.ReplaceAll(script, `"sensor"`, fmt.Sprintf("%q", seg.Name())))
	cmd.Env = append(os.Environ(), "PYTHONDONTWRITEBYTECODE=1", "PYTHONPATH="+pythonDir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("the README's Python: %v\n%s", err, out)
	}
	if want := "samples array <f8 (3,)\ncount value <i8 None\n"; string(out) != want {
		t.Errorf("the README's Python printed %q, want %q (and its comment should say so)", out, want)
	}
	if got := samples.Unsafe(); !reflect.DeepEqual(got, []float64{3, 5, 8}) || count.Load() != 4 {
		t.Errorf("after the README's Python: samples %v, count %d; want [3 5 8], 4", got, count.Load())
	}
}

// The module's own unit tests (xxhash64 against Go's, type strings,
// names), which need no Go-made segment.
func TestPythonModuleUnit(t *testing.T) {
	py := python(t, false)
	cmd := exec.Command(py, "-m", "unittest", "discover", "-s", filepath.Join(pythonDir, "tests"))
	cmd.Env = append(os.Environ(), "PYTHONDONTWRITEBYTECODE=1")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", cmd, err, out)
	}
}

func TestDType(t *testing.T) {
	seg := segtest.New(t)
	a := testutil.Must[*array.Array[[2]uint8]](t)(array.New[[2]uint8](seg, "a", 1))
	r := testutil.Must[*array.Array[rec]](t)(array.New[rec](seg, "r", 1))
	if a.DType() != "(2,)|u1" || r.DType() != "" {
		t.Fatalf("DType: %q, %q", a.DType(), r.DType())
	}
	if s := shm.Describe(a.Object()); !strings.Contains(s, "numpy (2,)|u1") {
		t.Fatalf("describe = %q", s)
	}
}
