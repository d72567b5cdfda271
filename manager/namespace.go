package manager

import (
	"context"
	"fmt"
	"iter"

	"github.com/shmkit/shmkit/manager/table"
	"github.com/shmkit/shmkit/shm"
)

// Namespace is a set of named fields shared between processes, Python's
// Manager().Namespace() (ns.x = 1 becomes ns.Store(ctx, "x", 1)). It is a
// table like Dict, keyed by field name, each value gob-encoded, with an
// object kind of its own. Each Store and Load is atomic; there is no
// transaction across fields (use a Dict's Update on one key, or SetMany).
type Namespace struct {
	d *LocalDict
}

// namespaceOptions size a Namespace: a few fields of modest size.
var namespaceOptions = &DictOptions{Entries: 256, Bytes: 1 << 20, MaxKey: 256, MaxValue: 64 << 10, Stripes: 8}

// Namespace returns the Namespace called name, creating it if needed.
func (m *Manager) Namespace(name string) (*Namespace, error) {
	d, err := createOrOpen(
		func() (*LocalDict, error) { return table.NewKind(m.seg, name, shm.KindNamespace, namespaceOptions) },
		func() (*LocalDict, error) { return table.OpenKind(m.seg, name, shm.KindNamespace) })
	if err != nil {
		return nil, err
	}
	return &Namespace{d}, nil
}

// Store sets field to v (gob-encoded).
func (n *Namespace) Store(ctx context.Context, field string, v any) error {
	b, err := encodeValue(v)
	if err != nil {
		return fmt.Errorf("namespace field %q: %w", field, err)
	}
	return n.d.Set(ctx, field, b)
}

// Load decodes field into ptr (a pointer to a value of the stored type);
// it reports false, leaving *ptr alone, when the field is not set.
func (n *Namespace) Load(ctx context.Context, field string, ptr any) (bool, error) {
	b, ok, err := n.d.Get(ctx, field)
	if err != nil || !ok {
		return false, err
	}
	if err := decodeInto(b, ptr); err != nil {
		return false, fmt.Errorf("namespace field %q: %w", field, err)
	}
	return true, nil
}

// Delete removes field.
func (n *Namespace) Delete(ctx context.Context, field string) (bool, error) {
	return n.d.Delete(ctx, field)
}

// Fields yields the names of the fields set (weakly consistent, see Dict).
func (n *Namespace) Fields(ctx context.Context) iter.Seq[string] { return n.d.Keys(ctx) }

// String describes n as `Namespace "settings" (2 fields)`, read without a
// lock; it never prints the fields' values.
func (n *Namespace) String() string {
	k, _ := n.d.Len(context.Background()) // lock-free: the stripes' counts
	f := "fields"
	if k == 1 {
		f = "field"
	}
	return fmt.Sprintf("Namespace %q (%d %s)", n.d.Name(), k, f)
}

// Dict returns the table underneath, with the gob-encoded values.
func (n *Namespace) Dict() *LocalDict { return n.d }

// MarshalBinary encodes the namespace's handle (gob uses it).
func (n *Namespace) MarshalBinary() ([]byte, error) { return n.d.MarshalBinary() }

// UnmarshalBinary attaches the Namespace a handle names, in this process.
func (n *Namespace) UnmarshalBinary(b []byte) error { return shm.UnmarshalHandle(b, n) }

// AttachHandle attaches n to the Namespace h names (see shm.AttachAs).
func (n *Namespace) AttachHandle(h shm.Handle) error {
	d, err := table.AttachKind(h, shm.KindNamespace)
	if err != nil {
		return err
	}
	n.d = d
	return nil
}
