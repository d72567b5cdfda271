package shm

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/edsrzf/mmap-go"

	"github.com/shmkit/shmkit/internal/kernel"
	"github.com/shmkit/shmkit/internal/owner"
)

// Dir is where named segments live: POSIX shared memory on Linux, the same
// place Python's multiprocessing.shared_memory uses.
const Dir = "/dev/shm"

// tmpPrefix names the temporary files of Create on a file system without
// O_TMPFILE: it initialises one before it publishes it under its real name
// with link(2), so an Open never sees a half-written header. A kill in
// between leaves the file behind: its name says whose it was
// (tmpPrefix+PID+"-"+random), for Leftovers and shmkit gc to find.
const tmpPrefix = ".shmkit-tmp-"

// Options tune a new segment. The zero value (or nil) is valid.
type Options struct {
	// Mode is the permission of a named segment's file; 0600 when zero.
	Mode os.FileMode
	// Objects is the capacity of the directory of named objects;
	// DefaultObjects when zero, at most MaxObjects.
	Objects int
}

// Segment is a mapped shared-memory segment: a header, a directory of named
// objects and the objects themselves. Its methods are safe for concurrent
// use by goroutines and by other processes mapping the same segment.
//
// Close unmaps the segment: every slice and object obtained from it is
// invalid afterwards and touching one faults. Close only after the last use.
type Segment struct {
	name    string // "" for anonymous segments
	file    *os.File
	mm      mmap.MMap
	size    uint64
	dataOff uint64
	dirCap  int
	id      uint64

	creatorPID   int
	creatorStart uint64
	created      time.Time

	allocMu   sync.Mutex // serialises this process's goroutines before the shared lock
	allocSpin owner.Spinner
	allocID   uint64 // this process's id while it holds the allocator lock
	closed    atomic.Bool
}

func (o *Options) mode() os.FileMode {
	if o == nil || o.Mode == 0 {
		return 0o600
	}
	return o.Mode.Perm()
}

func (o *Options) objects() (int, error) {
	n := DefaultObjects
	if o != nil && o.Objects != 0 {
		n = o.Objects
	}
	if n < 1 || n > MaxObjects {
		return 0, fmt.Errorf("directory of %d objects: must be 1..%d: %w", n, MaxObjects, os.ErrInvalid)
	}
	return n, nil
}

func supported() error {
	if runtime.GOOS != "linux" {
		return fmt.Errorf("shm on %s: %w", runtime.GOOS, kernel.ErrUnsupported)
	}
	return nil
}

// layoutFor checks a requested object room and returns the whole
// segment's size.
func layoutFor(size int, opts *Options) (total uint64, dirCap int, err error) {
	if dirCap, err = opts.objects(); err != nil {
		return 0, 0, err
	}
	if size <= 0 || size > MaxSize {
		return 0, 0, fmt.Errorf("segment size %d: must be 1..%d bytes: %w", size, int64(MaxSize), os.ErrInvalid)
	}
	return dataOffset(dirCap) + uint64(size), dirCap, nil
}

// Create makes a named segment in /dev/shm with room for size bytes of
// objects (alignment padding counts against it) and maps it. It fails with
// os.ErrExist when the name is taken and ErrNoSpace when /dev/shm is too
// small; the file is complete and valid before any other process can open
// it, and a process killed inside Create leaves no file behind. The caller
// owns the segment: Close it, and Unlink it when no process needs the name
// any more.
func Create(name string, size int, opts *Options) (*Segment, error) {
	if err := supported(); err != nil {
		return nil, err
	}
	n, err := cleanName(name)
	if err != nil {
		return nil, err
	}
	total, dirCap, err := layoutFor(size, opts)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(Dir, n)
	if _, err := os.Lstat(path); err == nil {
		return nil, fmt.Errorf("creating segment %q: %w", n, os.ErrExist)
	}
	if err := checkFree(n, total); err != nil {
		return nil, err
	}
	s, err := createFile(path, total, dirCap, opts.mode())
	if err != nil {
		if errors.Is(err, os.ErrExist) {
			return nil, fmt.Errorf("creating segment %q: %w", n, os.ErrExist)
		}
		return nil, fmt.Errorf("creating segment %q: %w", n, err)
	}
	s.name = n
	register(s)
	return s, nil
}

// openUnnamed is kernel.OpenTmpfile; tests replace it to take the
// fallback path.
var openUnnamed = kernel.OpenTmpfile

// createFile makes, initialises and publishes the segment file at path.
// The file has no name until it is complete: an unnamed O_TMPFILE file,
// which the kernel frees if the process dies first, given its name by
// linkat. Only a file system without O_TMPFILE gets a named temporary file,
// which a kill can leave behind.
func createFile(path string, total uint64, dirCap int, mode os.FileMode) (*Segment, error) {
	f, err := openUnnamed(Dir, 0o600)
	if errors.Is(err, errors.ErrUnsupported) {
		return createViaTemp(path, total, dirCap, mode)
	}
	if err != nil {
		return nil, err
	}
	defer f.Close() // the mapping keeps the file alive
	s, err := initFile(f, total, dirCap, mode)
	if err != nil {
		return nil, err
	}
	// linkat publishes the finished file and fails with EEXIST if the
	// name was taken meanwhile: creation is exclusive without a window
	// where Open could see a header being written.
	if err := kernel.LinkTmpfile(f, path); err != nil {
		s.unmap()
		return nil, err
	}
	return s, nil
}

// createViaTemp is createFile with a named temporary file in Dir, published
// by link(2) and then removed.
func createViaTemp(path string, total uint64, dirCap int, mode os.FileMode) (*Segment, error) {
	tmp := filepath.Join(Dir, tmpPrefix+strconv.Itoa(os.Getpid())+"-"+strconv.FormatUint(rand.Uint64(), 36))
	f, err := os.OpenFile(tmp, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return nil, err
	}
	defer os.Remove(tmp)
	defer f.Close()
	s, err := initFile(f, total, dirCap, mode)
	if err != nil {
		return nil, err
	}
	if err := os.Link(tmp, path); err != nil {
		s.unmap()
		return nil, err
	}
	return s, nil
}

func checkFree(name string, need uint64) error {
	free, total, err := kernel.FreeBytes(Dir)
	if err != nil {
		return err
	}
	if need > free {
		return fmt.Errorf("creating segment %q needs %s but %s has %s free of %s (enlarge it, e.g. docker --shm-size, or use shm.Anonymous): %w",
			name, FormatBytes(need), Dir, FormatBytes(free), FormatBytes(total), ErrNoSpace)
	}
	return nil
}

// initFile sizes the new file f, maps it and writes a fresh header. The
// segment is not registered and does not own f: the caller closes f and,
// once the file is published, registers the segment.
func initFile(f *os.File, total uint64, dirCap int, mode os.FileMode) (*Segment, error) {
	if err := f.Chmod(mode); err != nil {
		return nil, err
	}
	if err := kernel.Fallocate(f, int64(total)); err != nil {
		if kernel.IsNoSpace(err) {
			return nil, fmt.Errorf("%s: %w: %w", FormatBytes(total), ErrNoSpace, err)
		}
		return nil, err
	}
	s, err := mapFile(f, total)
	if err != nil {
		return nil, err
	}
	s.file = nil
	s.format(dirCap)
	return s, nil
}

// Anonymous makes a segment backed by a memfd: no name, no file in
// /dev/shm, freed by the kernel when the last process lets go of it (even
// after kill -9). It reaches children started by package process as an
// inherited descriptor, and its objects through their handles.
func Anonymous(size int, opts *Options) (*Segment, error) {
	if err := supported(); err != nil {
		return nil, err
	}
	total, dirCap, err := layoutFor(size, opts)
	if err != nil {
		return nil, err
	}
	f, err := kernel.MemfdCreate("shmkit", int64(total))
	if err != nil {
		if kernel.IsNoSpace(err) {
			return nil, fmt.Errorf("anonymous segment of %s: %w: %w", FormatBytes(total), ErrNoSpace, err)
		}
		return nil, fmt.Errorf("anonymous segment: %w", err)
	}
	s, err := mapFile(f, total)
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("anonymous segment: %w", err)
	}
	s.format(dirCap)
	register(s)
	return s, nil
}

func mapFile(f *os.File, total uint64) (*Segment, error) {
	if total > uint64(maxInt) {
		return nil, fmt.Errorf("mapping %d bytes: too large for this platform: %w", total, os.ErrInvalid)
	}
	m, err := mmap.MapRegion(f, int(total), mmap.RDWR, 0, 0)
	if err != nil {
		return nil, fmt.Errorf("mmap %s: %w", FormatBytes(total), err)
	}
	return &Segment{file: f, mm: m, size: total}, nil
}

const maxInt = int(^uint(0) >> 1)

// format writes a fresh header into a zeroed mapping.
func (s *Segment) format(dirCap int) {
	pid, start := kernel.Self()
	id := rand.Uint64() | 1 // never 0: 0 means "no segment" in handles
	h := hdr(s.mm)
	copy(h.Magic[:], Magic)
	h.Version = LayoutVersion
	h.DataOff = uint32(dataOffset(dirCap))
	h.Size = s.size
	h.ID = id
	h.CreatorPID = uint32(pid)
	h.DirCap = uint32(dirCap)
	h.CreatorStart = start
	h.Created = time.Now().UnixNano()
	h.Checksum = headerChecksum(s.mm)
	h.Cursor = uint64(h.DataOff)
	s.adopt(h)
}

// adopt copies the immutable, validated header fields into s: after this
// nothing bounds-related is ever read from shared memory again.
func (s *Segment) adopt(h *header) {
	s.dataOff = uint64(h.DataOff)
	s.dirCap = int(h.DirCap)
	s.id = h.ID
	s.creatorPID = int(h.CreatorPID)
	s.creatorStart = h.CreatorStart
	s.created = time.Unix(0, h.Created)
}

// Open maps an existing named segment after validating its header: a file
// that is not a shmkit segment is ErrNotShmkit, another layout version
// ErrVersion, a bad checksum, size or directory ErrCorrupt, a missing name
// os.ErrNotExist. The caller owns the returned segment and must Close it.
func Open(name string) (*Segment, error) {
	if err := supported(); err != nil {
		return nil, err
	}
	n, err := cleanName(name)
	if err != nil {
		return nil, err
	}
	s, err := openPath(filepath.Join(Dir, n))
	if err != nil {
		return nil, fmt.Errorf("opening segment %q: %w", n, err)
	}
	s.name = n
	register(s)
	return s, nil
}

func openPath(path string) (*Segment, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, err
	}
	s, err := mapValidated(f)
	f.Close()
	if err != nil {
		return nil, err
	}
	s.file = nil
	return s, nil
}

// mapValidated maps f whole and validates the header. It does not close f.
func mapValidated(f *os.File) (*Segment, error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("%s is not a regular file: %w", fi.Name(), ErrNotShmkit)
	}
	if fi.Size() < headerSize {
		return nil, fmt.Errorf("%d bytes, smaller than a header: %w", fi.Size(), ErrNotShmkit)
	}
	s, err := mapFile(f, uint64(fi.Size()))
	if err != nil {
		return nil, err
	}
	if err := s.validate(); err != nil {
		s.mm.Unmap()
		return nil, err
	}
	return s, nil
}

// validate checks the header of a mapping of s.size bytes.
func (s *Segment) validate() error {
	b := []byte(s.mm)
	if len(b) < len(Magic) || string(b[:len(Magic)]) != Magic {
		return ErrNotShmkit
	}
	if len(b) < headerSize {
		return fmt.Errorf("%d bytes, truncated header: %w", len(b), ErrCorrupt)
	}
	h := hdr(b)
	if h.Version != LayoutVersion {
		return fmt.Errorf("layout version %d, this build reads %d: %w", h.Version, LayoutVersion, ErrVersion)
	}
	if headerChecksum(b) != h.Checksum {
		return fmt.Errorf("header checksum mismatch: %w", ErrCorrupt)
	}
	if h.Size != uint64(len(b)) {
		return fmt.Errorf("header says %d bytes, mapping has %d (truncated?): %w", h.Size, len(b), ErrCorrupt)
	}
	if h.DirCap < 1 || h.DirCap > MaxObjects || uint64(h.DataOff) != dataOffset(int(h.DirCap)) || uint64(h.DataOff) > h.Size {
		return fmt.Errorf("directory of %d entries with data at %d in %d bytes: %w", h.DirCap, h.DataOff, h.Size, ErrCorrupt)
	}
	s.adopt(h)
	return nil
}

// Close unmaps the segment (and, for an anonymous one, closes its memfd).
// It is idempotent: later calls return nil. Objects and slices from the
// segment must not be used afterwards. Close does not remove a named
// segment: see Unlink.
func (s *Segment) Close() error {
	if s == nil || !s.closed.CompareAndSwap(false, true) {
		return nil
	}
	unregister(s)
	return s.unmap()
}

// unmap is Close without the registry, for a segment that was never
// registered (one that failed a check after mapping): it takes no lock, so
// code holding the registry's lock may call it.
func (s *Segment) unmap() error {
	s.closed.Store(true)
	err := s.mm.Unmap()
	if s.file != nil {
		err = errors.Join(err, s.file.Close())
	}
	return err
}

// Unlink removes a named segment's name from /dev/shm. Processes that have
// it mapped keep using it; the memory is freed when the last one closes
// it. For an anonymous segment Unlink does nothing and returns nil.
func (s *Segment) Unlink() error {
	if s.name == "" {
		return nil
	}
	return Remove(s.name)
}

// Remove deletes the named segment name from /dev/shm.
func Remove(name string) error {
	if err := supported(); err != nil {
		return err
	}
	n, err := cleanName(name)
	if err != nil {
		return err
	}
	if err := os.Remove(filepath.Join(Dir, n)); err != nil {
		return fmt.Errorf("removing segment %q: %w", n, err)
	}
	return nil
}

// Populate maps every page of the segment into this process now, for
// writing, instead of one page fault at a time on first touch (several µs
// each under a hypervisor: a fresh 4 MiB ring pays about 9 ms over its
// first lap). Call it once in each process, before a latency-sensitive or
// measured loop. It commits the memory of an anonymous segment; the
// contents are unchanged. A closed segment is os.ErrClosed.
func (s *Segment) Populate() error {
	if s.closed.Load() {
		return fmt.Errorf("populating segment: %w", os.ErrClosed)
	}
	return kernel.Populate(s.mm)
}

// Bytes returns the whole mapping, header included. Writing to the header
// or directory corrupts the segment for every process: use objects.
func (s *Segment) Bytes() []byte { return s.mm }

// Size returns the size of the whole mapping in bytes.
func (s *Segment) Size() int { return int(s.size) }

// Name returns the segment's name, or "" for an anonymous segment.
func (s *Segment) Name() string { return s.name }

// ID returns the segment's random 64-bit identity, the same in every
// process that maps it.
func (s *Segment) ID() uint64 { return s.id }

// File returns the memfd of an anonymous segment (nil for a named one).
// The segment owns it: do not close it.
func (s *Segment) File() *os.File { return s.file }

// Info describes a segment's header.
type Info struct {
	Name         string
	ID           uint64
	Size         int
	Used         int // bytes up to the allocation cursor, header included
	Objects      int
	CreatorPID   int
	CreatorStart uint64
	Created      time.Time
	Stale        bool // the creator process no longer runs
}

// Info returns the segment's header facts, and whether its creator died.
func (s *Segment) Info() Info {
	h := hdr(s.mm)
	used := min(atomic.LoadUint64(&h.Cursor), s.size)
	count := min(int(atomic.LoadUint32(&h.Count)), s.dirCap)
	return Info{
		Name: s.name, ID: s.id, Size: int(s.size), Used: int(used), Objects: count,
		CreatorPID: s.creatorPID, CreatorStart: s.creatorStart, Created: s.created,
		Stale: !owner.AlivePid(s.creatorPID, s.creatorStart),
	}
}

// FormatBytes renders n as "12 B", "4.0 KiB", "64.0 MiB"…
func FormatBytes(n uint64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := uint64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
