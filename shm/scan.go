package shm

import (
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
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
