package shm

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"sync"

	"github.com/shmkit/shmkit/internal/kernel"
)

// Handle names an object in a segment so another process can attach it:
// the segment (its id, and its name when it has one), and the object's
// directory entry. A handle is plain data; it travels to children started
// by package process (gob and encoding.BinaryMarshaler both work) or over
// any channel a program likes.
type Handle struct {
	SegmentID uint64
	Segment   string // "" for an anonymous segment
	Object    string
	Kind      Kind
	Version   uint32
	Offset    uint64
	Size      uint64
}

const handleMagic = "SKH1"

// MarshalBinary encodes h.
func (h Handle) MarshalBinary() ([]byte, error) {
	if len(h.Segment) > MaxNameLen || len(h.Object) > MaxObjectName {
		return nil, fmt.Errorf("encoding handle: names too long: %w", os.ErrInvalid)
	}
	b := make([]byte, 0, 40+len(h.Segment)+len(h.Object))
	b = append(b, handleMagic...)
	b = binary.LittleEndian.AppendUint64(b, h.SegmentID)
	b = binary.LittleEndian.AppendUint32(b, uint32(h.Kind))
	b = binary.LittleEndian.AppendUint32(b, h.Version)
	b = binary.LittleEndian.AppendUint64(b, h.Offset)
	b = binary.LittleEndian.AppendUint64(b, h.Size)
	b = append(b, byte(len(h.Segment)), byte(len(h.Object)))
	b = append(b, h.Segment...)
	return append(b, h.Object...), nil
}

// UnmarshalBinary decodes a handle, rejecting anything malformed.
func (h *Handle) UnmarshalBinary(b []byte) error {
	const fixed = 4 + 8 + 4 + 4 + 8 + 8 + 2
	if len(b) < fixed || string(b[:4]) != handleMagic {
		return fmt.Errorf("decoding handle of %d bytes: %w", len(b), ErrCorrupt)
	}
	ns, no := int(b[fixed-2]), int(b[fixed-1])
	if len(b) != fixed+ns+no || ns > MaxNameLen || no > MaxObjectName {
		return fmt.Errorf("decoding handle: lengths %d+%d in %d bytes: %w", ns, no, len(b), ErrCorrupt)
	}
	le := binary.LittleEndian
	*h = Handle{
		SegmentID: le.Uint64(b[4:]),
		Kind:      Kind(le.Uint32(b[12:])),
		Version:   le.Uint32(b[16:]),
		Offset:    le.Uint64(b[20:]),
		Size:      le.Uint64(b[28:]),
		Segment:   string(b[fixed : fixed+ns]),
		Object:    string(b[fixed+ns:]),
	}
	return nil
}

// Attach finds the object h names, checking that it is of kind and
// version: the segment is the one this process already has mapped with
// that id, or the named segment opened by name, or the anonymous segment
// this process inherited from its parent. Segments mapped by Attach stay
// mapped until the process exits (objects attached from them have no
// Close). A handle to another kind is ErrWrongKind; one whose segment is
// gone, or was removed and created again under the same name (a new
// segment, with another id), is os.ErrNotExist.
func Attach(h Handle, kind Kind, version uint32) (*Object, error) {
	s, err := segmentFor(h)
	if err != nil {
		return nil, err
	}
	o, err := s.Lookup(h.Object)
	if err != nil {
		return nil, fmt.Errorf("attaching handle: %w", err)
	}
	if o.off != h.Offset || o.size != h.Size || o.kind != h.Kind || o.version != h.Version {
		return nil, fmt.Errorf("attaching %q: handle says %s at %d (%d bytes), segment has %s: %w",
			h.Object, h.Kind, h.Offset, h.Size, o, ErrCorrupt)
	}
	if err := o.Check(kind, version); err != nil {
		return nil, err
	}
	return o, nil
}

// The process-wide table of mapped segments by id, and of anonymous
// segments inherited from a parent (descriptors not mapped until needed).
var reg = struct {
	sync.Mutex
	open      map[uint64]*Segment
	inherited map[uint64]*os.File
}{open: map[uint64]*Segment{}, inherited: map[uint64]*os.File{}}

func register(s *Segment) {
	reg.Lock()
	defer reg.Unlock()
	if _, ok := reg.open[s.id]; !ok {
		reg.open[s.id] = s
	}
}

func unregister(s *Segment) {
	reg.Lock()
	defer reg.Unlock()
	if reg.open[s.id] == s {
		delete(reg.open, s.id)
	}
}

// segmentFor returns the segment h names, mapping it if this process has
// not yet. The registry's lock is never held across a call that takes it
// again (Close, register): a segment mapped here and found wrong is
// released with unmap.
func segmentFor(h Handle) (*Segment, error) {
	if h.SegmentID == 0 {
		return nil, fmt.Errorf("attaching handle: no segment id: %w", os.ErrInvalid)
	}
	if h.Segment == "" {
		return inheritedFor(h.SegmentID)
	}
	return namedFor(h)
}

// openLocked returns the live segment registered under id, or nil. The
// caller holds reg.
func openLocked(id uint64) *Segment {
	if s, ok := reg.open[id]; ok && !s.closed.Load() {
		return s
	}
	return nil
}

// namedFor maps the named segment of h by name, unless this process has it
// mapped already. The file is opened with the registry unlocked. A name
// removed and created again since the handle was made holds a segment of
// another id: that is os.ErrNotExist, for h's segment is gone.
func namedFor(h Handle) (*Segment, error) {
	reg.Lock()
	s := openLocked(h.SegmentID)
	reg.Unlock()
	if s != nil {
		return s, nil
	}
	s, err := openAttached(h.Segment)
	if err != nil {
		return nil, fmt.Errorf("attaching handle: %w", err)
	}
	if s.id != h.SegmentID {
		s.unmap()
		return nil, fmt.Errorf("attaching handle: segment %q was removed and created again since the handle was made (id %016x, handle has %016x): %w",
			h.Segment, s.id, h.SegmentID, os.ErrNotExist)
	}
	return keep(s), nil
}

// keep registers s, the mapping of a segment just opened for a handle. If
// another goroutine registered one of the same segment meanwhile, that one
// is returned and s unmapped, so each segment has one mapping per process.
func keep(s *Segment) *Segment {
	reg.Lock()
	cur := openLocked(s.id)
	if cur == nil {
		reg.open[s.id] = s
	}
	reg.Unlock()
	if cur != nil {
		s.unmap()
		return cur
	}
	return s
}

// inheritedFor maps the anonymous segment id that this process inherited
// from its parent, on first use. It holds the registry's lock throughout:
// the descriptor moves from the inherited table to the segment, and
// mapping it takes no other lock.
func inheritedFor(id uint64) (*Segment, error) {
	reg.Lock()
	defer reg.Unlock()
	if s := openLocked(id); s != nil {
		return s, nil
	}
	f, ok := reg.inherited[id]
	if !ok {
		return nil, fmt.Errorf("attaching handle: anonymous segment %016x is not mapped in this process nor inherited from its parent: %w",
			id, os.ErrNotExist)
	}
	s, err := mapValidated(f)
	if err != nil {
		return nil, fmt.Errorf("attaching handle: %w", err)
	}
	if s.id != id {
		s.file = nil // f stays inherited: unmap must not close it
		s.unmap()
		return nil, fmt.Errorf("attaching handle: inherited descriptor for segment %016x holds segment %016x: %w", id, s.id, os.ErrNotExist)
	}
	delete(reg.inherited, id) // the segment owns f now
	reg.open[id] = s
	return s, nil
}

func openAttached(name string) (*Segment, error) {
	n, err := cleanName(name)
	if err != nil {
		return nil, err
	}
	s, err := openPath(Dir + "/" + n)
	if err != nil {
		return nil, fmt.Errorf("opening segment %q: %w", n, err)
	}
	s.name = n
	return s, nil
}

// Export is an anonymous segment's descriptor, duplicated for a child.
type Export struct {
	ID   uint64
	File *os.File // a duplicate: the caller closes it after the child starts
}

// Exports duplicates the descriptor of every anonymous segment this
// process has mapped or inherited, for package process to hand to a child.
func Exports() ([]Export, error) {
	reg.Lock()
	defer reg.Unlock()
	var out []Export
	var errs []error
	add := func(id uint64, f *os.File) {
		d, err := kernel.Dup(f)
		if err != nil {
			errs = append(errs, err)
			return
		}
		out = append(out, Export{ID: id, File: d})
	}
	for id, s := range reg.open {
		if s.file != nil && !s.closed.Load() {
			add(id, s.file)
		}
	}
	for id, f := range reg.inherited {
		add(id, f)
	}
	if len(errs) > 0 {
		for _, e := range out {
			e.File.Close()
		}
		return nil, fmt.Errorf("exporting segments: %w", errors.Join(errs...))
	}
	return out, nil
}

// Inherit records a descriptor a parent passed for the anonymous segment
// id. Package process calls it in a child before user code runs; Attach
// maps the segment on first use. A descriptor that is not a sealed memfd
// is refused.
func Inherit(id uint64, f *os.File) error {
	if id == 0 || f == nil {
		return fmt.Errorf("inheriting segment: %w", os.ErrInvalid)
	}
	if !kernel.IsMemfd(f) {
		return fmt.Errorf("inheriting segment %016x: descriptor %d is not a sealed memfd: %w", id, f.Fd(), ErrNotShmkit)
	}
	reg.Lock()
	defer reg.Unlock()
	reg.inherited[id] = f
	return nil
}
