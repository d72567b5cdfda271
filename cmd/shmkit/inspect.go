package main

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/shmkit/shmkit/array"
	"github.com/shmkit/shmkit/shm"
	"github.com/shmkit/shmkit/value"
)

const inspectAbout = `Shows a segment's header, the processes that map it, and each object:
its kind, name, the segment offset of its entry (OFFSET) and of its data
(DATA: where element 0 of an array, or a value's number, lies), its size,
its element type (numpy's type string where it has one) and its live state
(a lock's holder, a queue's depth, a value's number...). For the arrays and
values that numpy can read it ends with the lines that map them from
Python, ready to paste.`

// objectInfo is one object as inspect shows it, and its JSON.
type objectInfo struct {
	Name       string `json:"name"`
	Kind       string `json:"kind"`
	Offset     int    `json:"offset"`                // the object's, header included
	Size       int    `json:"size"`                  // the object's, header included
	DataOffset *int   `json:"data_offset,omitempty"` // element 0, for arrays and values
	Len        *int   `json:"len,omitempty"`         // elements, for arrays and values
	ElemSize   *int   `json:"elem_size,omitempty"`
	ElemKind   string `json:"elem_kind,omitempty"` // Go's kind: "float64", "struct"
	DType      string `json:"dtype,omitempty"`     // numpy's type string
	Moving     bool   `json:"moving,omitempty"`    // a Value[T]: the data alternates between two copies
	State      string `json:"state"`
}

// segmentInfo is inspect's JSON of one segment.
type segmentInfo struct {
	Name         string       `json:"name"`
	ID           string       `json:"id"`
	Size         int          `json:"size"`
	Used         int          `json:"used"`
	Layout       int          `json:"layout_version"`
	Created      time.Time    `json:"created"`
	CreatorPID   int          `json:"creator_pid"`
	CreatorAlive bool         `json:"creator_alive"`
	Attached     []mapper     `json:"attached"`
	AttachedAll  bool         `json:"attached_known"`
	Objects      []objectInfo `json:"objects"`
	Error        string       `json:"error,omitempty"` // objects that failed validation
}

func inspectMain(args []string, stdout, stderr io.Writer) int {
	c := newCommand("inspect", "shmkit inspect [--json] NAME...", inspectAbout)
	asJSON := c.fs.Bool("json", false, "print a JSON array, one element per segment, instead of text")
	names, code, done := c.parse(args, stdout, stderr)
	if done {
		return code
	}
	if len(names) == 0 {
		return c.usageError(stderr, "no segment named")
	}
	maps := scanMappings()
	var infos []segmentInfo
	for _, name := range names {
		si, err := inspectSegment(name, maps)
		if err != nil {
			fmt.Fprintln(stderr, "shmkit inspect:", err)
			code = 1
			continue
		}
		if si.Error != "" {
			fmt.Fprintf(stderr, "shmkit inspect: %s: %s\n", si.Name, si.Error)
			code = 1
		}
		if *asJSON {
			infos = append(infos, si)
			continue
		}
		writeInspect(stdout, si)
	}
	if *asJSON {
		if infos == nil {
			infos = []segmentInfo{}
		}
		if c := writeJSONTo(stdout, stderr, infos); c != 0 {
			return c
		}
	}
	return code
}

// inspectSegment reads the segment name: header, objects, who maps it.
func inspectSegment(name string, maps *mappings) (segmentInfo, error) {
	s, err := shm.Open(name)
	if err != nil {
		return segmentInfo{}, err
	}
	defer s.Close()
	i := s.Info()
	a := maps.of(s.Name())
	si := segmentInfo{
		Name: s.Name(), ID: fmt.Sprintf("%016x", i.ID), Size: i.Size, Used: i.Used, Layout: shm.LayoutVersion,
		Created: i.Created, CreatorPID: i.CreatorPID, CreatorAlive: !i.Stale,
		Attached: a.Procs, AttachedAll: a.Known, Objects: []objectInfo{},
	}
	objs, oerr := s.Objects()
	for _, o := range objs {
		si.Objects = append(si.Objects, describeObject(o))
	}
	if oerr != nil {
		si.Error = oerr.Error()
	}
	return si, nil
}

// describeObject is what inspect says of o.
func describeObject(o *shm.Object) objectInfo {
	oi := objectInfo{Name: o.Name(), Kind: o.Kind().String(), Offset: o.Offset(), Size: o.Size(), State: shm.Describe(o)}
	if d, ok := dataLayout(o); ok {
		oi.DataOffset, oi.Len, oi.ElemSize = &d.Offset, &d.Len, &d.ElemSize
		oi.ElemKind, oi.DType, oi.Moving = d.Kind.String(), d.DType, d.Moving
	}
	return oi
}

// dataLayout returns where o's data lies, for the kinds that have one
// place for it (arrays and values), from their packages' own reading of
// the header.
func dataLayout(o *shm.Object) (value.DataLayout, bool) {
	var d value.DataLayout
	var err error
	switch o.Kind() {
	case shm.KindArray:
		d, err = array.LayoutOf(o)
	case shm.KindValue:
		d, err = value.LayoutOf(o)
	default:
		return d, false
	}
	return d, err == nil
}

func writeInspect(w io.Writer, si segmentInfo) {
	fmt.Fprintf(w, "segment %s\n  id %s, %s (%s used), layout v%d\n  created %s by pid %d (%s)\n  %s\n",
		si.Name, si.ID, shm.FormatBytes(uint64(si.Size)), shm.FormatBytes(uint64(si.Used)), si.Layout,
		si.Created.Format(time.RFC3339), si.CreatorPID, runningOrGone(si.CreatorAlive),
		attach{Procs: si.Attached, Known: si.AttachedAll}.Describe())
	if len(si.Objects) == 0 {
		fmt.Fprintln(w, "  no objects")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  KIND\tNAME\tOFFSET\tDATA\tSIZE\tTYPE\tSTATE")
	for _, o := range si.Objects {
		data, typ := "-", "-"
		if o.DataOffset != nil {
			data, typ = fmt.Sprint(*o.DataOffset), elemType(o)
		}
		fmt.Fprintf(tw, "  %s\t%s\t%d\t%s\t%d\t%s\t%s\n", o.Kind, o.Name, o.Offset, data, o.Size, typ, o.State)
	}
	tw.Flush()
	writeNumpy(w, si)
}

func runningOrGone(alive bool) string {
	if alive {
		return "running"
	}
	return "gone"
}

// elemType is an element's type: numpy's string, or Go's kind and size
// where numpy has none ("struct 24 B"); "×N" for an array's length.
func elemType(o objectInfo) string {
	t := o.DType
	if t == "" {
		t = fmt.Sprintf("%s %d B", o.ElemKind, *o.ElemSize)
	}
	if o.Kind == "array" {
		t += fmt.Sprintf(" ×%d", *o.Len)
	}
	return t
}

// writeNumpy writes the Python lines that map the segment's numeric arrays
// and cells with numpy: the data offsets, not the objects'.
func writeNumpy(w io.Writer, si segmentInfo) {
	var lines []string
	for _, o := range si.Objects {
		if o.DataOffset == nil || o.DType == "" || o.Moving {
			continue
		}
		lines = append(lines, fmt.Sprintf("%s = np.ndarray((%d,), dtype=%s, buffer=shm.buf, offset=%d)",
			pyIdent(o.Name), *o.Len, pyString(o.DType), *o.DataOffset))
	}
	if len(lines) == 0 {
		return
	}
	fmt.Fprintf(w, "\n  python (numpy; or by name with python/shmkit.py: shmkit.open(%s).array(NAME)):\n", pyString(si.Name))
	fmt.Fprintln(w, "    import numpy as np; from multiprocessing import shared_memory")
	fmt.Fprintf(w, "    shm = shared_memory.SharedMemory(name=%s, track=False)\n", pyString(si.Name))
	fmt.Fprintf(w, "    # (Python < 3.13: no track=; then resource_tracker.unregister(shm._name, 'shared_memory'), or Python removes %s at exit)\n", si.Name)
	for _, l := range lines {
		fmt.Fprintln(w, "    "+l)
	}
}

// pyString quotes s for Python: object names are printable, and quotes
// and backslashes are escaped.
func pyString(s string) string {
	return "'" + strings.NewReplacer(`\`, `\\`, `'`, `\'`).Replace(s) + "'"
}

// pyIdent turns an object name into a Python identifier: other
// characters become '_', and a leading digit gets one before it.
func pyIdent(name string) string {
	b := []byte(name)
	for i, c := range b {
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			b[i] = '_'
		}
	}
	if len(b) == 0 || b[0] >= '0' && b[0] <= '9' {
		b = append([]byte{'_'}, b...)
	}
	return string(b)
}
