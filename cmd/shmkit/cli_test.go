package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/shmkit/shmkit/array"
	"github.com/shmkit/shmkit/process"
	"github.com/shmkit/shmkit/shm"
	"github.com/shmkit/shmkit/value"
)

// TestHelpEverywhere: -h and --help on shmkit and on every command print
// help on stdout and exit 0, and do nothing else (rm -h removes nothing).
func TestHelpEverywhere(t *testing.T) {
	calls := [][]string{{"-h"}, {"--help"}, {"help"}, {"help", "rm"}}
	for _, cmd := range []string{"ls", "inspect", "top", "rm", "gc", "bench", "version"} {
		calls = append(calls, []string{cmd, "-h"}, []string{cmd, "--help"})
	}
	calls = append(calls, []string{"rm", "some-segment", "-h"}, []string{"gc", "--dry-run", "--help"})
	for _, args := range calls {
		code, out, errOut := runBin(t, args...)
		want := "usage: shmkit"
		if len(args) == 2 && args[0] != "help" {
			want += " " + args[0]
		}
		if code != 0 || !strings.HasPrefix(out, want) || errOut != "" {
			t.Errorf("shmkit %q: exit %d, stdout %.80q, stderr %q; want 0 and %q", args, code, out, errOut, want)
		}
		if strings.Contains(out, "Usage of") {
			t.Errorf("shmkit %q printed the flag package's usage:\n%s", args, out)
		}
	}
	// A bad flag: a complaint and the synopsis on stderr, status 2.
	for _, args := range [][]string{{"ls", "-x"}, {"gc", "--frobnicate"}, {"inspect", "--nope", "x"}} {
		code, out, errOut := runBin(t, args...)
		if code != 2 || out != "" || !strings.Contains(errOut, "flag provided but not defined") || !strings.Contains(errOut, "usage: shmkit "+args[0]) {
			t.Errorf("shmkit %q: exit %d, stdout %q, stderr %q", args, code, out, errOut)
		}
	}
}

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}} {
		code, out, errOut := runBin(t, args...)
		if code != 0 || errOut != "" || !strings.HasPrefix(out, "shmkit ") || !strings.Contains(out, runtime.Version()) ||
			!strings.Contains(out, runtime.GOOS+"/"+runtime.GOARCH) {
			t.Errorf("shmkit %q: exit %d, %q %q", args, code, out, errOut)
		}
	}
}

// TestLsForeignAndJSON: ls says how many files it does not show, --all
// shows them, --json has the same rows with the processes mapping each.
func TestLsForeignAndJSON(t *testing.T) {
	foreign := segName(t, "py-made")
	if err := os.WriteFile(filepath.Join(shm.Dir, foreign), make([]byte, 4096), 0o600); err != nil {
		t.Fatal(err)
	}
	ours := segName(t, "ls-json")
	s, err := shm.Create(ours, 1<<16, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	code, out, errOut := runBin(t, "ls")
	if code != 0 || strings.Contains(out, foreign) || !strings.Contains(out, ours) ||
		!strings.Contains(errOut, "not made by shmkit") || !strings.Contains(errOut, "ls --all") {
		t.Fatalf("ls: %d\n%s\nstderr: %s", code, out, errOut)
	}
	code, out, _ = runBin(t, "ls", "--all")
	if code != 0 || !strings.Contains(out, foreign) || !strings.Contains(out, "not a shmkit segment") {
		t.Fatalf("ls --all: %d\n%s", code, out)
	}
	code, out, _ = runBin(t, "ls", "--json", "--all")
	var rep lsReport
	if err := json.Unmarshal([]byte(out), &rep); code != 0 || err != nil {
		t.Fatalf("ls --json: %d %v\n%s", code, err, out)
	}
	found := 0
	for _, r := range rep.Segments {
		switch r.Name {
		case foreign:
			found++
			if r.Type != "foreign" || r.Size != 4096 {
				t.Errorf("foreign row: %+v", r)
			}
		case ours:
			found++
			if r.Type != "shmkit" || r.CreatorPID != os.Getpid() || !r.CreatorAlive || !r.AttachedAll ||
				len(r.Attached) != 1 || r.Attached[0].PID != os.Getpid() {
				t.Errorf("our row: %+v", r)
			}
		}
	}
	if found != 2 {
		t.Errorf("ls --json --all lacks a row: %s", out)
	}
}

// TestInspectNumpy: inspect shows each array's and value's data offset
// (not its header's), its numpy type, and numpy lines that read them; a
// Python program reading at the offset shown finds what Go stored.
func TestInspectNumpy(t *testing.T) {
	name := segName(t, "numpy")
	s, err := shm.Create(name, 1<<20, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	a, err := array.New[float64](s, "samples", 1024)
	if err != nil {
		t.Fatal(err)
	}
	a.Store(0, 2.5)
	a.Store(1023, -1)
	v, err := value.NewInt[int64](s, "counter", 42)
	if err != nil {
		t.Fatal(err)
	}
	vOff := v.Object().Offset() + value.DataOffset

	code, out, errOut := runBin(t, "inspect", name)
	if code != 0 {
		t.Fatalf("inspect: %d %s", code, errOut)
	}
	for _, want := range []string{
		"DATA", "<f8 ×1024", "<i8",
		fmt.Sprintf("samples = np.ndarray((1024,), dtype='<f8', buffer=shm.buf, offset=%d)", a.DataOffset()),
		fmt.Sprintf("counter = np.ndarray((1,), dtype='<i8', buffer=shm.buf, offset=%d)", vOff),
		fmt.Sprintf("shared_memory.SharedMemory(name='%s'", name),
	} {
		if !strings.Contains(out, want) {
			t.Errorf("inspect lacks %q:\n%s", want, out)
		}
	}
	code, out, _ = runBin(t, "inspect", "--json", name)
	var infos []segmentInfo
	if err := json.Unmarshal([]byte(out), &infos); code != 0 || err != nil || len(infos) != 1 {
		t.Fatalf("inspect --json: %d %v\n%s", code, err, out)
	}
	for _, o := range infos[0].Objects {
		switch o.Name {
		case "samples":
			if o.DataOffset == nil || *o.DataOffset != a.DataOffset() || *o.Len != 1024 || o.DType != "<f8" || *o.DataOffset == o.Offset {
				t.Errorf("samples: %+v", o)
			}
		case "counter":
			if o.DataOffset == nil || *o.DataOffset != vOff || o.DType != "<i8" || !strings.Contains(o.State, "= 42") {
				t.Errorf("counter: %+v", o)
			}
		}
	}

	// What Python reads at those offsets (struct, so numpy need not be
	// there): the array's first and last elements, the counter.
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Log("no python3: the offsets are checked against Go's only")
		return
	}
	prog := fmt.Sprintf(`
import struct
from multiprocessing import shared_memory, resource_tracker
s = shared_memory.SharedMemory(name=%q)
resource_tracker.unregister(s._name, "shared_memory")
print(struct.unpack_from("<d", s.buf, %d)[0], struct.unpack_from("<d", s.buf, %d + 1023*8)[0], struct.unpack_from("<q", s.buf, %d)[0])
s.close()
`, name, a.DataOffset(), a.DataOffset(), vOff)
	got, err := exec.Command(py, "-c", prog).CombinedOutput()
	if err != nil || strings.TrimSpace(string(got)) != "2.5 -1.0 42" {
		t.Fatalf("python read %q (%v) at the offsets inspect printed; want 2.5 -1.0 42", got, err)
	}
}

// TestMappedSegmentKept is the case: a segment whose creator died
// but that another process (Python) still maps. gc keeps it, and says
// why; rm refuses it; rm --force removes it; once nobody maps it, gc
// removes such a segment.
func TestMappedSegmentKept(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	name := segName(t, "orphan")
	if _, err := process.Run(ctx, makeSegment, name); err != nil {
		t.Fatal(err)
	}
	who := mapElsewhere(t, name)
	mine := fmt.Sprintf("shmkit-test-cli-%d-*", os.Getpid())

	code, out, _ := runBin(t, "ls")
	if code != 0 || !regexpMatch(`(?m)^`+name+`\s.*gone\s+1\s`, out) {
		t.Errorf("ls: the segment's creator gone, attached 1:\n%s", out)
	}
	code, out, _ = runBin(t, "gc", mine)
	if code != 0 || !strings.Contains(out, "kept "+name) || !strings.Contains(out, "mapped by 1 process") ||
		!strings.Contains(out, who) || !strings.Contains(out, "0 stale segments removed") || !strings.Contains(out, "1 stale segment still in use kept") {
		t.Fatalf("gc: %d\n%s", code, out)
	}
	code, _, errOut := runBin(t, "rm", name)
	if code != 1 || !strings.Contains(errOut, "in use") || !strings.Contains(errOut, "--force") {
		t.Fatalf("rm: %d %s", code, errOut)
	}
	if _, err := os.Stat(filepath.Join(shm.Dir, name)); err != nil {
		t.Fatal("gc or rm removed a segment that a live process maps")
	}
	code, out, _ = runBin(t, "rm", "--force", name)
	if code != 0 || !strings.Contains(out, "removed "+name) || !strings.Contains(out, "mapped by 1 process") {
		t.Fatalf("rm --force: %d %s", code, out)
	}

	// Not mapped: gc removes it.
	if _, err := process.Run(ctx, makeSegment, name); err != nil {
		t.Fatal(err)
	}
	code, out, _ = runBin(t, "gc", mine)
	if code != 0 || !strings.Contains(out, "removed "+name) || !strings.Contains(out, "1 stale segment removed") {
		t.Fatalf("gc: %d\n%s", code, out)
	}
}

// TestBenchInterrupt: Ctrl-C (SIGINT) stops a run at once with one line
// saying what ran and what was skipped, exit status 130, no FAILED lines;
// before it, one progress line per case on a stderr that is no terminal.
func TestBenchInterrupt(t *testing.T) {
	bin := shmkitBin(t)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "bench", "--quick", "--only", "memcpy,lock,value", "--rounds", "2")
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	outc := readAll(stdout)
	var lines []string
	buf := make([]byte, 4096)
	var pending string
	for len(lines) < 2 {
		n, err := stderr.Read(buf)
		pending += string(buf[:n])
		for {
			i := strings.IndexByte(pending, '\n')
			if i < 0 {
				break
			}
			lines, pending = append(lines, pending[:i]), pending[i+1:]
		}
		if err != nil {
			t.Fatalf("stderr ended before two progress lines: %q %q", lines, pending)
		}
	}
	cmd.Process.Signal(os.Interrupt)
	rest := <-readAll(stderr)
	err = cmd.Wait()
	lines = append(lines, strings.Split(strings.TrimSpace(pending+rest), "\n")...)
	if code := cmd.ProcessState.ExitCode(); code != 130 {
		t.Errorf("exit %d (%v), want 130", code, err)
	}
	for _, l := range lines[:2] {
		if !regexpMatch(`^shmkit bench: \[\d+/\d+ \d+:\d\d(, ~\d+:\d\d left)?\] memcpy memcpy\S* \d+ [KM]?i?B: \S+ [kMG]? ?msgs/s, `, l) {
			t.Errorf("progress line %q", l)
		}
	}
	last := lines[len(lines)-1]
	if !regexpMatch(`^shmkit bench: interrupted after \d+:\d\d: \d+ of \d+ cases ran(; complete: [a-z, -]+)?(; partly: [^;]+)?(; skipped: [a-z, -]+)?; nothing written$`, last) {
		t.Errorf("last line %q", last)
	}
	if !strings.Contains(last, "partly:") && !strings.Contains(last, "skipped:") {
		t.Errorf("last line %q names nothing not run", last)
	}
	all := strings.Join(lines, "\n")
	if strings.Contains(all, "FAILED") || strings.Contains(all, "context canceled") {
		t.Errorf("failures reported for the interruption:\n%s", all)
	}
	if out := <-outc; out != "" {
		t.Errorf("stdout after an interruption: %q", out)
	}
}

// TestBenchRoundsZero: --rounds 0 is refused (it used to run the whole
// suite), as is an --only that names nothing.
func TestBenchRoundsZero(t *testing.T) {
	for _, args := range [][]string{{"--rounds", "0"}, {"--rounds=0", "--quick"}, {"--only", ""}, {"--only", ","}, {"--sizes", ""}} {
		start := time.Now()
		code, out, errOut := runCLI(append([]string{"bench"}, args...)...)
		if code != 2 || out != "" || !strings.Contains(errOut, "--") || time.Since(start) > 5*time.Second {
			t.Errorf("bench %q: exit %d, stdout %q, stderr %q", args, code, out, errOut)
		}
	}
}

func regexpMatch(re, s string) bool {
	ok, err := regexp.MatchString(re, s)
	return err == nil && ok
}
