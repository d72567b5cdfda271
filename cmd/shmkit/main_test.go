package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/shmkit/shmkit/internal/testutil/leak"
	"github.com/shmkit/shmkit/process"
	"github.com/shmkit/shmkit/ring"
	"github.com/shmkit/shmkit/shm"
	shmsync "github.com/shmkit/shmkit/sync"
)

func TestMain(m *testing.M) {
	process.Main()
	os.Exit(leak.Main(m, leak.Cleanup(removeBinaries)))
}

// makeSegment runs in a child that exits at once, leaving a stale segment.
var makeSegment = process.Register("cmdtest.make", func(ctx context.Context, name string) (struct{}, error) {
	s, err := shm.Create(name, 4096, nil)
	if err != nil {
		return struct{}{}, err
	}
	_, err = s.Alloc("left-behind", 64, 8)
	return struct{}{}, err
})

// runCLI runs the command in this process (the tests that need no binary).
func runCLI(args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = run(args, &o, &e)
	return code, o.String(), e.String()
}

func segName(t *testing.T, suffix string) string {
	name := fmt.Sprintf("shmkit-test-cli-%d-%s", os.Getpid(), suffix)
	t.Cleanup(func() { os.Remove(filepath.Join(shm.Dir, name)) })
	return name
}

func TestLsInspectRm(t *testing.T) {
	name := segName(t, "live")
	s, err := shm.Create(name, 8192, nil)
	if err != nil {
		t.Fatal(err)
	}
	o, _ := s.Alloc("numbers", 800, 64)

	code, out, _ := runCLI("ls")
	if code != 0 || !strings.Contains(out, name) || !strings.Contains(out, strconv.Itoa(os.Getpid())+" running") {
		t.Fatalf("ls: %d\n%s", code, out)
	}
	code, out, _ = runCLI("inspect", name)
	want := fmt.Sprintf("numbers  %d", o.Offset())
	if code != 0 || !strings.Contains(out, "bytes") || !strings.Contains(out, want) {
		t.Fatalf("inspect: %d\n%s\nwant %q", code, out, want)
	}
	// This process maps it: rm refuses, --force removes it.
	code, _, errOut := runCLI("rm", name)
	if code != 1 || !strings.Contains(errOut, "in use") || !strings.Contains(errOut, "mapped by 1 process: "+strconv.Itoa(os.Getpid())) {
		t.Fatalf("rm of a mapped segment: %d %s", code, errOut)
	}
	s.Close()
	code, out, _ = runCLI("rm", name)
	if code != 0 || !strings.Contains(out, "removed "+name) || !strings.Contains(out, "its creator, pid "+strconv.Itoa(os.Getpid())+", still runs") {
		t.Fatalf("rm: %d %s", code, out)
	}
	if _, err := os.Stat(filepath.Join(shm.Dir, name)); !os.IsNotExist(err) {
		t.Fatalf("still there after rm: %v", err)
	}
}

func TestInspectLiveState(t *testing.T) {
	name := segName(t, "kinds")
	s, err := shm.Create(name, 1<<20, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	r, err := ring.NewRing(s, "jobs", &ring.Options{Capacity: 4096})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Write(context.Background(), []byte("queued")); err != nil {
		t.Fatal(err)
	}
	m, err := shmsync.NewMutex(s, "lock")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Lock(context.Background()); err != nil {
		t.Fatal(err)
	}
	code, out, _ := runCLI("inspect", name)
	if code != 0 || !strings.Contains(out, "ring") || !strings.Contains(out, "in 1 out 0") ||
		!strings.Contains(out, "mutex") || !strings.Contains(out, strconv.Itoa(os.Getpid())) {
		t.Fatalf("inspect: %d\n%s", code, out)
	}
}

func TestBadInput(t *testing.T) {
	foreign := segName(t, "foreign")
	os.WriteFile(filepath.Join(shm.Dir, foreign), []byte("not a segment at all"), 0o600)
	corrupt := segName(t, "corrupt")
	s, err := shm.Create(corrupt, 4096, nil)
	if err != nil {
		t.Fatal(err)
	}
	s.Bytes()[20] ^= 0xff // the size field, under the checksum
	s.Close()
	cases := []struct {
		args []string
		code int
		msg  string
	}{
		{nil, 2, "usage"},
		{[]string{"frobnicate"}, 2, "unknown command"},
		{[]string{"inspect"}, 2, "usage"},
		{[]string{"inspect", "../etc/passwd"}, 1, "invalid"},
		{[]string{"inspect", "shmkit-test-no-such"}, 1, "no such file"},
		{[]string{"inspect", foreign}, 1, "not a shmkit segment"},
		{[]string{"inspect", corrupt}, 1, "corrupt"},
		{[]string{"inspect", "--frobnicate", corrupt}, 2, "flag provided but not defined"},
		{[]string{"rm", foreign}, 1, "not a shmkit segment"},
		{[]string{"rm"}, 2, "no segment named"},
		{[]string{"gc", "[x"}, 2, "syntax error in pattern"},
		{[]string{"ls", "extra"}, 2, `unexpected argument "extra"`},
		{[]string{"version", "extra"}, 2, `unexpected argument "extra"`},
		{[]string{"top"}, 2, "name one segment"},
		{[]string{"top", "a", "b"}, 2, "name one segment"},
		{[]string{"top", "--interval", "1ms", "x"}, 2, "at least 10ms"},
		{[]string{"top", "-n", "-1", "x"}, 2, "at least 1"},
		{[]string{"top", "--once", "-n", "3", "x"}, 2, "one of them"},
		{[]string{"top", "shmkit-test-no-such"}, 1, "no such file"},
	}
	for _, c := range cases {
		code, _, errOut := runCLI(c.args...)
		if code != c.code || !strings.Contains(errOut, c.msg) {
			t.Errorf("shmkit %q: exit %d, stderr %q; want %d and %q", c.args, code, errOut, c.code, c.msg)
		}
	}
	if _, err := os.Stat(filepath.Join(shm.Dir, foreign)); err != nil {
		t.Fatal("rm removed a foreign file")
	}
	if code, out, _ := runCLI("rm", corrupt); code != 0 || !strings.Contains(out, "removed") {
		t.Fatalf("rm of a corrupt segment: %d %s", code, out)
	}
}

func TestGcRemovesStale(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	stale := segName(t, "stale")
	if _, err := process.Run(ctx, makeSegment, stale); err != nil {
		t.Fatal(err)
	}
	live := segName(t, "alive")
	s, err := shm.Create(live, 4096, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	mine := fmt.Sprintf("shmkit-test-cli-%d-*", os.Getpid()) // leave other tests' segments alone
	code, out, _ := runCLI("gc", "-n", mine)
	if code != 0 || !strings.Contains(out, "would remove "+stale) || strings.Contains(out, live) {
		t.Fatalf("gc -n: %d\n%s", code, out)
	}
	code, out, _ = runCLI("gc", mine, "--dry-run")
	if code != 0 || !strings.Contains(out, "would remove "+stale) || !strings.Contains(out, "1 stale segment would be removed") {
		t.Fatalf("gc --dry-run: %d\n%s", code, out)
	}
	code, out, _ = runCLI("gc", mine)
	if code != 0 || !strings.Contains(out, "removed "+stale) || strings.Contains(out, live) {
		t.Fatalf("gc: %d\n%s", code, out)
	}
	if !strings.Contains(out, "1 stale segment removed, 0 temporary files removed") {
		t.Errorf("gc's count: %s", out)
	}
	if _, err := os.Stat(filepath.Join(shm.Dir, stale)); !os.IsNotExist(err) {
		t.Fatal("stale segment survived gc")
	}
	if _, err := os.Stat(filepath.Join(shm.Dir, live)); err != nil {
		t.Fatal("gc removed a live segment")
	}
}
