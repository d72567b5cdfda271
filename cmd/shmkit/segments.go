package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"text/tabwriter"
	"time"

	"github.com/shmkit/shmkit/shm"
)

func state(i shm.Info) string {
	if i.Stale {
		return "stale"
	}
	return "alive"
}

func lsMain(args []string, stdout, stderr io.Writer) int {
	if len(args) != 0 {
		fmt.Fprintln(stderr, "usage: shmkit ls")
		return 2
	}
	list, err := shm.List()
	if err != nil {
		fmt.Fprintln(stderr, "shmkit ls:", err)
		return 1
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSIZE\tUSED\tOBJECTS\tCREATOR\tSTATE\tCREATED")
	for _, l := range list {
		if l.Err != nil {
			fmt.Fprintf(tw, "%s\t-\t-\t-\t-\tunreadable: %v\t-\n", l.Name, l.Err)
			continue
		}
		i := l.Info
		fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%d\t%s\t%s\n", l.Name, shm.FormatBytes(uint64(i.Size)),
			shm.FormatBytes(uint64(i.Used)), i.Objects, i.CreatorPID, state(i), i.Created.Format(time.DateTime))
	}
	tw.Flush()
	noteLeftovers(stderr)
	return 0
}

// noteLeftovers points at temporary files of killed Creates, which are no
// segments and have no row in ls, but hold memory until gc removes them.
func noteLeftovers(stderr io.Writer) {
	left, err := shm.Leftovers()
	if err != nil || len(left) == 0 {
		return
	}
	var size uint64
	for _, l := range left {
		size += uint64(l.Size)
	}
	fmt.Fprintf(stderr, "shmkit ls: %d temporary files (%s) left by killed processes inside Create: shmkit gc removes them\n",
		len(left), shm.FormatBytes(size))
}

func inspectMain(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: shmkit inspect NAME...")
		return 2
	}
	code := 0
	for _, name := range args {
		if err := inspect(name, stdout); err != nil {
			fmt.Fprintln(stderr, "shmkit inspect:", err)
			code = 1
		}
	}
	return code
}

func inspect(name string, w io.Writer) error {
	s, err := shm.Open(name)
	if err != nil {
		return err
	}
	defer s.Close()
	i := s.Info()
	fmt.Fprintf(w, "segment %s\n  id %016x, %s (%s used), layout v%d\n  created %s by pid %d (%s)\n",
		s.Name(), i.ID, shm.FormatBytes(uint64(i.Size)), shm.FormatBytes(uint64(i.Used)), shm.LayoutVersion,
		i.Created.Format(time.RFC3339), i.CreatorPID, state(i))
	objs, oerr := s.Objects()
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  KIND\tNAME\tOFFSET\tSIZE\tSTATE")
	for _, o := range objs {
		fmt.Fprintf(tw, "  %s\t%s\t%d\t%d\t%s\n", o.Kind(), o.Name(), o.Offset(), o.Size(), shm.Describe(o))
	}
	tw.Flush()
	return oerr
}

func rmMain(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "usage: shmkit rm NAME...")
		return 2
	}
	code := 0
	for _, name := range args {
		// Only shmkit's own segments: a corrupt one is ours to remove, a
		// foreign file in /dev/shm is not.
		s, err := shm.Open(name)
		switch {
		case err == nil:
			s.Close()
		case errors.Is(err, shm.ErrCorrupt), errors.Is(err, shm.ErrVersion):
		default:
			fmt.Fprintln(stderr, "shmkit rm:", err)
			code = 1
			continue
		}
		if err := shm.Remove(name); err != nil {
			fmt.Fprintln(stderr, "shmkit rm:", err)
			code = 1
			continue
		}
		fmt.Fprintln(stdout, "removed", name)
	}
	return code
}

func gcMain(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("gc", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dry := fs.Bool("n", false, "only print what would be removed")
	if err := fs.Parse(args); err != nil || fs.NArg() != 0 {
		return 2
	}
	list, err := shm.List()
	if err != nil {
		fmt.Fprintln(stderr, "shmkit gc:", err)
		return 1
	}
	code, removed := gcSegments(list, *dry, stdout, stderr)
	tcode, tremoved := gcLeftovers(*dry, stdout, stderr)
	if !*dry {
		fmt.Fprintf(stdout, "%d stale segments removed, %d temporary files removed\n", removed, tremoved)
	}
	return max(code, tcode)
}

// gcSegments removes the segments whose creator is gone.
func gcSegments(list []shm.Listed, dry bool, stdout, stderr io.Writer) (code, removed int) {
	for _, l := range list {
		if l.Err != nil || !l.Info.Stale {
			continue
		}
		if dry {
			fmt.Fprintf(stdout, "would remove %s (creator pid %d is gone)\n", l.Name, l.Info.CreatorPID)
			continue
		}
		if err := shm.Remove(l.Name); err != nil && !errors.Is(err, os.ErrNotExist) {
			fmt.Fprintln(stderr, "shmkit gc:", err)
			code = 1
			continue
		}
		removed++
		fmt.Fprintf(stdout, "removed %s (%s, creator pid %d is gone)\n", l.Name, shm.FormatBytes(uint64(l.Info.Size)), l.Info.CreatorPID)
	}
	return code, removed
}

// gcLeftovers removes the temporary files that processes killed inside
// shm.Create left: ls does not show them, as they are no segments.
func gcLeftovers(dry bool, stdout, stderr io.Writer) (code, removed int) {
	left, err := shm.Leftovers()
	if err != nil {
		fmt.Fprintln(stderr, "shmkit gc:", err)
		return 1, 0
	}
	for _, l := range left {
		if dry {
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
