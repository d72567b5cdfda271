package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path"

	"github.com/shmkit/shmkit/shm"
)

const gcAbout = `Removes what dead processes left in /dev/shm:

  - segments whose creator is gone and that no live process maps (a
    segment whose creator died may still be in use by another process, a
    Python program that opened it by name say: it is kept, and said so);
  - temporary files of processes killed inside shm.Create.

Processes that map a segment are counted from /proc/*/maps, as ipcs's
nattch; a segment whose count cannot be known is kept. With PATTERNs
(shell globs: 'myapp-*'), only the files whose names match one are
looked at.`

func gcMain(args []string, stdout, stderr io.Writer) int {
	c := newCommand("gc", "shmkit gc [-n] [PATTERN...]", gcAbout)
	dry := c.fs.Bool("n", false, "only print what would be removed")
	c.fs.BoolVar(dry, "dry-run", false, "the same as -n")
	patterns, code, done := c.parse(args, stdout, stderr)
	if done {
		return code
	}
	for _, p := range patterns {
		if _, err := path.Match(p, ""); err != nil {
			return c.usageError(stderr, fmt.Sprintf("pattern %q: %v", p, err))
		}
	}
	match := func(name string) bool {
		for _, p := range patterns {
			if ok, _ := path.Match(p, name); ok {
				return true
			}
		}
		return len(patterns) == 0
	}
	list, err := shm.List()
	if err != nil {
		fmt.Fprintln(stderr, "shmkit gc:", err)
		return 1
	}
	code, removed, kept := gcSegments(list, match, *dry, stdout, stderr)
	tcode, tremoved := gcLeftovers(match, *dry, stdout, stderr)
	verb := "removed"
	if *dry {
		verb = "would be removed"
	}
	fmt.Fprintf(stdout, "%s %s, %s %s", plural(removed, "stale segment", "stale segments"), verb,
		plural(tremoved, "temporary file", "temporary files"), verb)
	if kept > 0 {
		fmt.Fprintf(stdout, "; %s kept", plural(kept, "stale segment still in use", "stale segments still in use"))
	}
	fmt.Fprintln(stdout)
	return max(code, tcode)
}

// gcSegments removes the segments whose creator is gone and that no live
// process maps; it reports the others whose creator is gone.
func gcSegments(list []shm.Listed, match func(string) bool, dry bool, stdout, stderr io.Writer) (code, removed, kept int) {
	maps := scanMappings()
	for _, l := range list {
		if l.Err != nil || !l.Info.Stale || !match(l.Name) {
			continue
		}
		why := fmt.Sprintf("creator pid %d is gone", l.Info.CreatorPID)
		if a := maps.of(l.Name); a.Mapped() {
			kept++
			fmt.Fprintf(stdout, "kept %s (%s, but %s)\n", l.Name, why, a.Describe())
			continue
		}
		if dry {
			removed++
			fmt.Fprintf(stdout, "would remove %s (%s, %s, not mapped)\n", l.Name, shm.FormatBytes(uint64(l.Info.Size)), why)
			continue
		}
		if err := shm.Remove(l.Name); err != nil && !errors.Is(err, os.ErrNotExist) {
			fmt.Fprintln(stderr, "shmkit gc:", err)
			code = 1
			continue
		}
		removed++
		fmt.Fprintf(stdout, "removed %s (%s, %s, not mapped)\n", l.Name, shm.FormatBytes(uint64(l.Info.Size)), why)
	}
	return code, removed, kept
}

// gcLeftovers removes the temporary files that processes killed inside
// shm.Create left: ls does not show them, as they are no segments.
func gcLeftovers(match func(string) bool, dry bool, stdout, stderr io.Writer) (code, removed int) {
	left, err := shm.Leftovers()
	if err != nil {
		fmt.Fprintln(stderr, "shmkit gc:", err)
		return 1, 0
	}
	for _, l := range left {
		if !match(l.Name) {
			continue
		}
		if dry {
			removed++
			fmt.Fprintf(stdout, "would remove temporary file %s (pid %d died inside Create)\n", l.Name, l.PID)
			continue
		}
		if err := shm.RemoveLeftover(l); err != nil && !errors.Is(err, os.ErrNotExist) {
			fmt.Fprintln(stderr, "shmkit gc:", err)
			code = 1
			continue
		}
		removed++
		fmt.Fprintf(stdout, "removed temporary file %s (%s, pid %d died inside Create)\n", l.Name, shm.FormatBytes(uint64(l.Size)), l.PID)
	}
	return code, removed
}
