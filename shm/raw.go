package shm

import (
	"fmt"
	"os"
	"path/filepath"
	"sync/atomic"

	"github.com/edsrzf/mmap-go"
)

// Raw is a foreign shared-memory segment mapped as plain bytes: a file in
// /dev/shm that another program made, Python's
// multiprocessing.shared_memory.SharedMemory(create=True, size=n) first
// among them. shmkit reads no header in it and writes none: its bytes are
// whatever that program put there (Python's numpy arrays over shm.buf, or
// a struct it packed), at the offsets it chose.
//
// Open refuses such a file (ErrNotShmkit); OpenRaw maps any regular file
// of /dev/shm, shmkit's own segments included, without treating it as a
// segment.
type Raw struct {
	name   string
	mm     mmap.MMap
	closed atomic.Bool
}

// OpenRaw maps the whole of the named file in /dev/shm, read-write. The
// name is validated as Create's and Open's are (a leading slash, as
// Python's SharedMemory and POSIX shm_open accept it, is dropped); a
// missing file is os.ErrNotExist, a file that is not a regular file or
// is empty os.ErrInvalid. The caller owns the mapping: Close it. OpenRaw
// never removes the file (see Remove).
func OpenRaw(name string) (*Raw, error) {
	if err := supported(); err != nil {
		return nil, err
	}
	n, err := cleanName(name)
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(Dir, n), os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("opening raw segment %q: %w", n, err)
	}
	defer f.Close() // the mapping keeps the memory
	fi, err := f.Stat()
	switch {
	case err != nil:
		return nil, fmt.Errorf("opening raw segment %q: %w", n, err)
	case !fi.Mode().IsRegular():
		return nil, fmt.Errorf("raw segment %q: not a regular file: %w", n, os.ErrInvalid)
	case fi.Size() == 0:
		return nil, fmt.Errorf("raw segment %q: empty: %w", n, os.ErrInvalid)
	case fi.Size() > int64(maxInt):
		return nil, fmt.Errorf("raw segment %q: %d bytes: too large for this platform: %w", n, fi.Size(), os.ErrInvalid)
	}
	m, err := mmap.MapRegion(f, int(fi.Size()), mmap.RDWR, 0, 0)
	if err != nil {
		return nil, fmt.Errorf("mapping raw segment %q (%s): %w", n, FormatBytes(uint64(fi.Size())), err)
	}
	return &Raw{name: n, mm: m}, nil
}

// Bytes returns the whole mapping, shared with every process that maps
// the file. It is valid until Close: touching it afterwards faults. The
// program that made the file must not shrink it while it is mapped here
// (Python's SharedMemory never does): the pages past the new end fault.
func (r *Raw) Bytes() []byte { return r.mm }

// Size returns the mapping's size in bytes: the file's size when opened.
func (r *Raw) Size() int { return len(r.mm) }

// Name returns the file's name in /dev/shm.
func (r *Raw) Name() string { return r.name }

// Close unmaps the file; the file itself stays (Remove deletes it). It is
// idempotent: later calls return nil.
func (r *Raw) Close() error {
	if r == nil || !r.closed.CompareAndSwap(false, true) {
		return nil
	}
	if err := r.mm.Unmap(); err != nil {
		return fmt.Errorf("unmapping raw segment %q: %w", r.name, err)
	}
	return nil
}
