package manager

import (
	"errors"
	"fmt"
	"os"

	"github.com/shmkit/shmkit/manager/table"
	"github.com/shmkit/shmkit/shm"
)

// Manager owns a segment and hands out named shared objects in it: Dicts,
// Namespaces and Lists, created on first use and found by name after
// (Python's SyncManager, without the server process: every proxy works in
// place in shared memory). Serve makes the same objects reachable over
// TCP.
//
// A Manager travels to a child started by package process (gob, through
// MarshalBinary): the child's copy finds the same objects by name. Only
// the creating process's Close unmaps the segment; a child's Close does
// nothing.
type Manager struct {
	seg    *shm.Segment
	marker *shm.Object
	owned  bool
}

// Options configure New.
type Options struct {
	// Size is the segment's room for objects (default 64 MiB).
	Size int
	// Objects is the directory capacity (default 256).
	Objects int
	// Name, if set, makes a named segment in /dev/shm (openable by other
	// programs with Open); by default the segment is anonymous and
	// reaches only children started by package process.
	Name string
}

// markerName names the small object that stands for the manager in its
// segment: its handle is the manager's.
const markerName = "shmkit.manager"

// New creates a Manager on a new segment.
func New(opts *Options) (*Manager, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	if o.Size == 0 {
		o.Size = 64 << 20
	}
	if o.Objects == 0 {
		o.Objects = 256
	}
	so := &shm.Options{Objects: o.Objects}
	var seg *shm.Segment
	var err error
	if o.Name != "" {
		seg, err = shm.Create(o.Name, o.Size, so)
	} else {
		seg, err = shm.Anonymous(o.Size, so)
	}
	if err != nil {
		return nil, fmt.Errorf("creating a manager: %w", err)
	}
	marker, err := seg.Alloc(markerName, 8, 8)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("creating a manager: %w", err), seg.Close())
	}
	return &Manager{seg: seg, marker: marker, owned: true}, nil
}

// Open returns a Manager on the named segment another process created
// with Options.Name. Its Close unmaps the segment in this process.
func Open(name string) (*Manager, error) {
	seg, err := shm.Open(name)
	if err != nil {
		return nil, err
	}
	marker, err := seg.LookupKind(markerName, shm.KindBytes, 0)
	if err != nil {
		return nil, errors.Join(fmt.Errorf("opening manager %q: %w", name, err), seg.Close())
	}
	return &Manager{seg: seg, marker: marker, owned: true}, nil
}

// Segment returns the segment the manager's objects live in (nil for a
// nil Manager, so that a Server given one refuses to start).
func (m *Manager) Segment() *shm.Segment {
	if m == nil {
		return nil
	}
	return m.seg
}

// String describes m as `Manager "jobs" (3 objects, 2.1 MiB of 64.0 MiB
// used)`, or `Manager (anonymous segment, …)`.
func (m *Manager) String() string {
	if m == nil || m.seg == nil {
		return "Manager(nil)"
	}
	in := m.seg.Info()
	where := "(anonymous segment, "
	if in.Name != "" {
		where = fmt.Sprintf("%q (", in.Name)
	}
	return fmt.Sprintf("Manager %s%d objects, %s of %s used)", where, max(in.Objects-1, 0), // not its marker
		shm.FormatBytes(uint64(in.Used)), shm.FormatBytes(uint64(in.Size)))
}

// Close unmaps the segment if this process created or opened it (every
// proxy from it becomes invalid); on a Manager decoded in a child it does
// nothing. It is idempotent.
func (m *Manager) Close() error {
	if !m.owned {
		return nil
	}
	return m.seg.Close()
}

// MarshalBinary encodes the manager's handle, so that a Manager can be
// sent to a child process (gob uses it).
func (m *Manager) MarshalBinary() ([]byte, error) { return m.marker.Handle().MarshalBinary() }

// UnmarshalBinary attaches the manager a handle names, in this process.
func (m *Manager) UnmarshalBinary(b []byte) error { return shm.UnmarshalHandle(b, m) }

// AttachHandle attaches m to the manager whose marker h names (see
// shm.AttachAs).
func (m *Manager) AttachHandle(h shm.Handle) error {
	if h.Object != markerName {
		return fmt.Errorf("handle to %q is not a manager's: %w", h.Object, shm.ErrWrongKind)
	}
	o, err := shm.Attach(h, shm.KindBytes, 0)
	if err != nil {
		return err
	}
	*m = Manager{seg: o.Segment(), marker: o}
	return nil
}

// Dict returns the Dict called name, creating it with opts if it does not
// exist (opts are ignored for an existing one). Any process may call it
// with the same name: they all get the same table.
func (m *Manager) Dict(name string, opts *DictOptions) (*LocalDict, error) {
	return createOrOpen(
		func() (*LocalDict, error) { return table.NewDict(m.seg, name, opts) },
		func() (*LocalDict, error) { return table.OpenDict(m.seg, name) })
}

// List returns the List called name, creating it with opts if needed.
func (m *Manager) List(name string, opts *ListOptions) (*List, error) {
	return createOrOpen(
		func() (*List, error) { return table.NewList(m.seg, name, opts) },
		func() (*List, error) { return table.OpenList(m.seg, name) })
}

// Set returns the Set called name, creating it with opts if needed
// (Python's SyncManager has no set; its MutableSet is the model).
func (m *Manager) Set(name string, opts *SetOptions) (*Set, error) {
	return createOrOpen(
		func() (*Set, error) { return table.NewSet(m.seg, name, opts) },
		func() (*Set, error) { return table.OpenSet(m.seg, name) })
}

// createOrOpen creates a named object, or opens it when one of that name
// exists already (the create fails with os.ErrExist): two processes that
// ask for the same name at once both get the one object.
func createOrOpen[T any](create, open func() (T, error)) (T, error) {
	v, err := create()
	if errors.Is(err, os.ErrExist) {
		return open()
	}
	return v, err
}
