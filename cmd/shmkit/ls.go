package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/shmkit/shmkit/shm"
)

const lsAbout = `Lists the shmkit segments in /dev/shm: size, bytes used, objects, the
process that created each (running or gone) and how many live processes
map it now (ATTACHED, as ipcs's nattch: "+?" when some processes could
not be looked at). A segment whose creator is gone may still be in use:
shmkit gc removes only the ones nobody maps.

Files in /dev/shm that are not shmkit segments (Python's SharedMemory,
other programs') are counted on stderr, and listed with --all.`

// lsRow is one file of /dev/shm as ls shows it, and its JSON.
type lsRow struct {
	Name         string    `json:"name"`
	Type         string    `json:"type"` // "shmkit", "foreign" or "unreadable"
	Size         int64     `json:"size"`
	Used         int       `json:"used,omitempty"`
	Objects      int       `json:"objects,omitempty"`
	CreatorPID   int       `json:"creator_pid,omitempty"`
	CreatorAlive bool      `json:"creator_alive,omitempty"`
	Created      time.Time `json:"created"`
	Attached     []mapper  `json:"attached"`       // the processes seen mapping it
	AttachedAll  bool      `json:"attached_known"` // false when some could not be looked at
	Error        string    `json:"error,omitempty"`
}

// lsReport is ls's JSON.
type lsReport struct {
	Dir           string         `json:"dir"`
	Segments      []lsRow        `json:"segments"`
	ForeignHidden int            `json:"foreign_hidden"` // not listed (no --all)
	Leftovers     []shm.Leftover `json:"leftovers"`      // temporary files gc removes
}

func lsMain(args []string, stdout, stderr io.Writer) int {
	c := newCommand("ls", "shmkit ls [--all] [--json]", lsAbout)
	all := c.fs.Bool("all", false, "also list the files in /dev/shm that are not shmkit segments")
	asJSON := c.fs.Bool("json", false, "print JSON instead of the table")
	ops, code, done := c.parse(args, stdout, stderr)
	if done {
		return code
	}
	if len(ops) > 0 {
		return c.usageError(stderr, fmt.Sprintf("unexpected argument %q", ops[0]))
	}
	rep, err := listAll(*all)
	if err != nil {
		fmt.Fprintln(stderr, "shmkit ls:", err)
		return 1
	}
	if *asJSON {
		return writeJSONTo(stdout, stderr, rep)
	}
	writeLs(stdout, rep.Segments)
	if rep.ForeignHidden > 0 {
		fmt.Fprintf(stderr, "shmkit ls: %s in %s not made by shmkit (Python's SharedMemory, other programs) not shown: shmkit ls --all lists them\n",
			plural(rep.ForeignHidden, "file", "files"), shm.Dir)
	}
	noteLeftovers(stderr, rep.Leftovers)
	return 0
}

// listAll reads /dev/shm: shmkit's segments, and the other files when all
// is set (else only their count).
func listAll(all bool) (lsReport, error) {
	rep := lsReport{Dir: shm.Dir, Segments: []lsRow{}}
	list, err := shm.List()
	if err != nil {
		return rep, err
	}
	maps := scanMappings()
	ours := map[string]bool{}
	for _, l := range list {
		ours[l.Name] = true
		rep.Segments = append(rep.Segments, segmentRow(l, maps))
	}
	des, err := os.ReadDir(shm.Dir)
	if err != nil {
		return rep, err
	}
	for _, de := range des {
		if ours[de.Name()] || !de.Type().IsRegular() || strings.HasPrefix(de.Name(), tmpPrefix) {
			continue
		}
		if !all {
			rep.ForeignHidden++
			continue
		}
		r := lsRow{Name: de.Name(), Type: "foreign"}
		if fi, err := de.Info(); err == nil {
			r.Size, r.Created = fi.Size(), fi.ModTime()
		}
		a := maps.of(r.Name)
		r.Attached, r.AttachedAll = a.Procs, a.Known
		rep.Segments = append(rep.Segments, r)
	}
	if all {
		sort.Slice(rep.Segments, func(i, j int) bool { return rep.Segments[i].Name < rep.Segments[j].Name })
	}
	if rep.Leftovers, err = shm.Leftovers(); err != nil {
		return rep, err
	}
	return rep, nil
}

// tmpPrefix starts the names of shm.Create's temporary files, which are
// no segments (gc removes those of dead processes).
const tmpPrefix = ".shmkit-tmp-"

func segmentRow(l shm.Listed, maps *mappings) lsRow {
	r := lsRow{Name: l.Name, Type: "shmkit"}
	a := maps.of(l.Name)
	r.Attached, r.AttachedAll = a.Procs, a.Known
	if l.Err != nil {
		r.Type, r.Error = "unreadable", l.Err.Error()
		if fi, err := os.Stat(shm.Dir + "/" + l.Name); err == nil {
			r.Size, r.Created = fi.Size(), fi.ModTime()
		}
		return r
	}
	i := l.Info
	r.Size, r.Used, r.Objects, r.Created = int64(i.Size), i.Used, i.Objects, i.Created
	r.CreatorPID, r.CreatorAlive = i.CreatorPID, !i.Stale
	return r
}

func (r lsRow) attach() attach { return attach{Procs: r.Attached, Known: r.AttachedAll} }

func writeLs(w io.Writer, rows []lsRow) {
	if len(rows) == 0 {
		fmt.Fprintf(w, "no shmkit segments in %s\n", shm.Dir)
		return
	}
	notes := false
	for _, r := range rows {
		notes = notes || r.Type != "shmkit"
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	header := "NAME\tSIZE\tUSED\tOBJECTS\tCREATOR\tATTACHED\tCREATED"
	if notes {
		header += "\tNOTE"
	}
	fmt.Fprintln(tw, header)
	for _, r := range rows {
		size := shm.FormatBytes(uint64(r.Size))
		created := r.Created.Format(time.DateTime)
		switch r.Type {
		case "shmkit":
			fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%s\n", r.Name, size, shm.FormatBytes(uint64(r.Used)), r.Objects,
				creator(r.CreatorPID, r.CreatorAlive), r.attach().Count(), created)
		case "foreign":
			fmt.Fprintf(tw, "%s\t%s\t-\t-\t-\t%s\t%s\tnot a shmkit segment\n", r.Name, size, r.attach().Count(), created)
		default:
			fmt.Fprintf(tw, "%s\t%s\t-\t-\t-\t%s\t%s\tunreadable: %s\n", r.Name, size, r.attach().Count(), created, r.Error)
		}
	}
	tw.Flush()
}

// creator is "4242 running" or "4242 gone".
func creator(pid int, alive bool) string {
	if alive {
		return fmt.Sprintf("%d running", pid)
	}
	return fmt.Sprintf("%d gone", pid)
}

// noteLeftovers points at temporary files of killed Creates, which are no
// segments and have no row in ls, but hold memory until gc removes them.
func noteLeftovers(stderr io.Writer, left []shm.Leftover) {
	if len(left) == 0 {
		return
	}
	var size uint64
	for _, l := range left {
		size += uint64(l.Size)
	}
	fmt.Fprintf(stderr, "shmkit ls: %s (%s) left by processes killed inside Create: shmkit gc removes them\n",
		plural(len(left), "temporary file", "temporary files"), shm.FormatBytes(size))
}

// writeJSONTo writes v as indented JSON and returns the exit status.
func writeJSONTo(stdout, stderr io.Writer, v any) int {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		fmt.Fprintln(stderr, "shmkit:", err)
		return 1
	}
	stdout.Write(append(b, '\n'))
	return 0
}
