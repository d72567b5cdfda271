package main

import (
	"errors"
	"fmt"
	"io"

	"github.com/shmkit/shmkit/shm"
)

const rmAbout = `Removes named shmkit segments from /dev/shm, as ipcrm does. A segment
that a live process maps is refused (its processes would keep their
mapping, but none could open it by name again): --force removes it
anyway. A segment whose creator still runs is removed, and said so. Files
that are not shmkit segments are never removed; corrupt shmkit segments
are.`

func rmMain(args []string, stdout, stderr io.Writer) int {
	c := newCommand("rm", "shmkit rm [--force] NAME...", rmAbout)
	force := c.fs.Bool("force", false, "remove segments that live processes map")
	c.fs.BoolVar(force, "f", false, "short for --force")
	names, code, done := c.parse(args, stdout, stderr)
	if done {
		return code
	}
	if len(names) == 0 {
		return c.usageError(stderr, "no segment named")
	}
	for _, name := range names {
		if err := rmOne(name, *force, stdout); err != nil {
			fmt.Fprintln(stderr, "shmkit rm:", err)
			code = 1
		}
	}
	return code
}

// errMapped refuses to remove a segment in use.
var errMapped = errors.New("in use")

// rmOne removes the segment name unless a live process maps it (or force).
func rmOne(name string, force bool, stdout io.Writer) error {
	// Only shmkit's own segments: a corrupt one is ours to remove, a
	// foreign file in /dev/shm is not.
	var info *shm.Info
	s, err := shm.Open(name)
	switch {
	case err == nil:
		i := s.Info()
		info = &i
		name = s.Name()
		s.Close() // before counting the processes that map it
	case errors.Is(err, shm.ErrCorrupt), errors.Is(err, shm.ErrVersion):
	default:
		return err
	}
	a := scanMappings().of(name)
	if a.Mapped() && !force {
		return fmt.Errorf("%s: %w: %s; shmkit rm --force %s removes it anyway (they keep their mapping; nobody can open it by name again)",
			name, errMapped, a.Describe(), name)
	}
	if err := shm.Remove(name); err != nil {
		return err
	}
	var notes []string
	if info != nil && !info.Stale {
		notes = append(notes, fmt.Sprintf("its creator, pid %d, still runs", info.CreatorPID))
	}
	if a.Mapped() {
		notes = append(notes, a.Describe())
	}
	fmt.Fprintf(stdout, "removed %s%s\n", name, parenthesize(notes))
	return nil
}

// parenthesize writes notes as " (a; b)", or "" when there are none.
func parenthesize(notes []string) string {
	if len(notes) == 0 {
		return ""
	}
	s := " ("
	for i, n := range notes {
		if i > 0 {
			s += "; "
		}
		s += n
	}
	return s + ")"
}
