package shm

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/shmkit/shmkit/internal/owner"
)

// Listed is one file of /dev/shm as List sees it.
type Listed struct {
	Name string
	Info Info  // valid when Err is nil
	Err  error // why the file could not be read as a segment
}

// List returns every shmkit segment in /dev/shm, sorted by name. Files that
// are not shmkit segments are skipped; shmkit segments that fail validation
// (corrupt, another version) are listed with their error.
func List() ([]Listed, error) {
	if err := supported(); err != nil {
		return nil, err
	}
	des, err := os.ReadDir(Dir)
	if err != nil {
		return nil, fmt.Errorf("listing %s: %w", Dir, err)
	}
	var out []Listed
	for _, de := range des {
		name := de.Name()
		if !de.Type().IsRegular() || strings.HasPrefix(name, tmpPrefix) {
			continue
		}
		s, err := openPath(Dir + "/" + name)
		if errors.Is(err, ErrNotShmkit) || errors.Is(err, os.ErrPermission) {
			continue
		}
		l := Listed{Name: name, Err: err}
		if err == nil {
			s.name = name
			l.Info = s.Info()
			s.mm.Unmap()
		}
		out = append(out, l)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// Leftover is a temporary file that a Create left in /dev/shm when its
// process was killed before publishing it. Only Create on a file system
// without O_TMPFILE makes such files; older shmkit versions always did.
type Leftover struct {
	Name string // the file's name in Dir, tmpPrefix+PID+"-"+random
	PID  int    // the process that made it, no longer running
	Size int64
}

// Leftovers returns the temporary files of Create in /dev/shm whose
// process no longer runs, sorted by name. Their names hold a bare pid: a
// file whose pid now names another process is kept (owner.PidAlive), never
// one of a Create still under way removed.
func Leftovers() ([]Leftover, error) {
	if err := supported(); err != nil {
		return nil, err
	}
	des, err := os.ReadDir(Dir)
	if err != nil {
		return nil, fmt.Errorf("listing %s: %w", Dir, err)
	}
	var out []Leftover
	for _, de := range des {
		pid, ok := tempPID(de.Name())
		if !ok || !de.Type().IsRegular() || owner.PidAlive(pid) {
			continue
		}
		l := Leftover{Name: de.Name(), PID: pid}
		if fi, err := de.Info(); err == nil {
			l.Size = fi.Size()
		}
		out = append(out, l)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// RemoveLeftover removes a temporary file that Leftovers returned, after
// checking again that its process is gone. A file already gone is
// os.ErrNotExist; a name that is not a temporary file of Create, or whose
// process runs (again), is os.ErrInvalid.
func RemoveLeftover(l Leftover) error {
	if err := supported(); err != nil {
		return err
	}
	pid, ok := tempPID(l.Name)
	if !ok || pid != l.PID || strings.ContainsRune(l.Name, '/') {
		return fmt.Errorf("removing %q: not a temporary file of pid %d: %w", l.Name, l.PID, os.ErrInvalid)
	}
	if owner.PidAlive(pid) {
		return fmt.Errorf("removing %q: process %d runs: %w", l.Name, pid, os.ErrInvalid)
	}
	if err := os.Remove(Dir + "/" + l.Name); err != nil {
		return fmt.Errorf("removing temporary file: %w", err)
	}
	return nil
}

// tempPID parses the pid out of a temporary file's name,
// tmpPrefix+PID+"-"+random.
func tempPID(name string) (int, bool) {
	rest, ok := strings.CutPrefix(name, tmpPrefix)
	if !ok {
		return 0, false
	}
	digits, _, ok := strings.Cut(rest, "-")
	if !ok {
		return 0, false
	}
	pid, err := strconv.Atoi(digits)
	if err != nil || pid <= 0 || digits[0] == '+' {
		return 0, false
	}
	return pid, true
}
