package sync

import (
	"encoding"
	"fmt"

	"github.com/shmkit/shmkit/shm"
)

// Layout version of every object in this package; bump it with any layout
// change (the Sizeof/Offsetof tests pin each one).
const layoutVersion = 2 // 2: Cond counts its sleepers and permits (exact Notify)

// open finds name in seg and checks kind, layout version and size.
func open(seg *shm.Segment, name string, kind shm.Kind, size int) (*shm.Object, error) {
	o, err := seg.LookupKind(name, kind, layoutVersion)
	if err != nil {
		return nil, fmt.Errorf("opening %s %q: %w", kind, name, err)
	}
	return o, checkSize(o, size)
}

// attach attaches the object h names, checking kind, version and size.
func attach(h shm.Handle, kind shm.Kind, size int) (*shm.Object, error) {
	o, err := shm.Attach(h, kind, layoutVersion)
	if err != nil {
		return nil, fmt.Errorf("attaching %s: %w", kind, err)
	}
	return o, checkSize(o, size)
}

// checkSize refuses an object smaller than its layout (a hostile or
// corrupt directory entry) and one not aligned for 64-bit atomics.
func checkSize(o *shm.Object, size int) error {
	if o.Size() < size {
		return fmt.Errorf("%s: %d bytes, layout needs %d: %w", o, o.Size(), size, shm.ErrCorrupt)
	}
	if o.Offset()%8 != 0 {
		return fmt.Errorf("%s: offset not 8-byte aligned: %w", o, shm.ErrCorrupt)
	}
	return nil
}

func alloc(seg *shm.Segment, name string, kind shm.Kind, size int, init func([]byte)) (*shm.Object, error) {
	o, err := seg.AllocObject(name, kind, layoutVersion, size, shm.CacheLinePad, init)
	if err != nil {
		return nil, fmt.Errorf("creating %s %q: %w", kind, name, err)
	}
	return o, nil
}

func marshal(o *shm.Object) ([]byte, error) {
	if o == nil {
		return nil, fmt.Errorf("marshalling a zero object: %w", shm.ErrCorrupt)
	}
	return o.Handle().MarshalBinary()
}

var (
	_ encoding.BinaryMarshaler   = (*Mutex)(nil)
	_ encoding.BinaryUnmarshaler = (*Mutex)(nil)
)
