package shm

import (
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/shmkit/shmkit/internal/kernel"
)

// TestCreateWithoutTmpfile takes Create's fallback for a file system that
// refuses O_TMPFILE: a named temporary file, linked and then removed.
func TestCreateWithoutTmpfile(t *testing.T) {
	if err := supported(); err != nil {
		t.Skip(err)
	}
	openUnnamed = func(string, os.FileMode) (*os.File, error) { return nil, kernel.ErrUnsupported }
	t.Cleanup(func() { openUnnamed = kernel.OpenTmpfile })
	name := "shmkit-test-" + strconv.Itoa(os.Getpid()) + "-fallback"
	t.Cleanup(func() { os.Remove(filepath.Join(Dir, name)) })

	s, err := Create(name, 4096, &Options{Mode: 0o640})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if _, err := Create(name, 4096, nil); !errors.Is(err, os.ErrExist) {
		t.Fatalf("second Create = %v, want os.ErrExist", err)
	}
	o, err := Open(name)
	if err != nil {
		t.Fatal(err)
	}
	o.Close()
	if fi, err := os.Stat(filepath.Join(Dir, name)); err != nil || fi.Mode().Perm() != 0o640 {
		t.Fatalf("segment file: %v, %v", fi, err)
	}
	tmps, _ := filepath.Glob(filepath.Join(Dir, tmpPrefix+strconv.Itoa(os.Getpid())+"-*"))
	if len(tmps) != 0 {
		t.Fatalf("temporary files left: %v", tmps)
	}
}

func TestTempPID(t *testing.T) {
	for name, want := range map[string]int{
		".shmkit-tmp-123-abc": 123, ".shmkit-tmp-1-": 1,
		".shmkit-tmp-0-abc": 0, ".shmkit-tmp--1-abc": 0, ".shmkit-tmp-+5-abc": 0,
		".shmkit-tmp-123": 0, ".shmkit-tmp-x1-abc": 0, "shmkit-tmp-123-abc": 0, "seg-123-abc": 0,
	} {
		if pid, ok := tempPID(name); pid != want || ok != (want != 0) {
			t.Errorf("tempPID(%q) = %d, %v; want %d", name, pid, ok, want)
		}
	}
}
