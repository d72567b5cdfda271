package shm

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sync/atomic"
	"time"

	"github.com/shmkit/shmkit/internal/kernel"
	"github.com/shmkit/shmkit/internal/owner"
)

// Object is a named region of a segment, described by its directory entry:
// kind, layout version, offset and size. Its bytes start at Offset() from
// the start of the segment's mapping: in a named segment that is also the
// offset into Python's SharedMemory(name).buf (numpy: offset=...).
type Object struct {
	seg     *Segment
	index   int
	name    string
	kind    Kind
	version uint32
	off     uint64
	size    uint64
}

func (o *Object) Segment() *Segment { return o.seg }
func (o *Object) Name() string      { return o.name }
func (o *Object) Kind() Kind        { return o.kind }
func (o *Object) Version() uint32   { return o.version }

// Offset is the object's byte offset from the start of the segment.
func (o *Object) Offset() int { return int(o.off) }

// Size is the object's size in bytes.
func (o *Object) Size() int { return int(o.size) }

// Bytes returns the object's memory, shared with every process that maps
// the segment. It is valid until the segment is closed.
func (o *Object) Bytes() []byte { return o.seg.mm[o.off : o.off+o.size : o.off+o.size] }

// Populate is Segment.Populate for the object's pages only.
func (o *Object) Populate() error {
	if o.seg.closed.Load() {
		return fmt.Errorf("populating %q: %w", o.name, os.ErrClosed)
	}
	return kernel.Populate(o.Bytes())
}

// Handle returns what names this object in another process.
func (o *Object) Handle() Handle {
	return Handle{
		SegmentID: o.seg.id, Segment: o.seg.name, Object: o.name,
		Kind: o.kind, Version: o.version, Offset: o.off, Size: o.size,
	}
}

func (o *Object) String() string {
	return fmt.Sprintf("%s %q at %d (%d bytes)", o.kind, o.name, o.off, o.size)
}

// Alloc reserves size bytes aligned to align (a power of two up to
// MaxAlign; 0 means 8) under name, as raw bytes (KindBytes), zeroed.
func (s *Segment) Alloc(name string, size, align int) (*Object, error) {
	return s.AllocObject(name, KindBytes, 0, size, align, nil)
}

// AllocContext is Alloc waiting for the allocator lock until ctx ends.
func (s *Segment) AllocContext(ctx context.Context, name string, size, align int) (*Object, error) {
	return s.AllocObjectContext(ctx, name, KindBytes, 0, size, align, nil)
}

// AllocObject reserves a typed object: kind and version go into its
// directory entry, and init (if not nil) runs on its zeroed bytes before the
// entry is published, so no other process can find a half-built object.
// A taken name is os.ErrExist; no room, or a full directory, is ErrFull.
// Objects live as long as the segment: there is no free.
//
// AllocObject waits at most 10 s for another live process that holds the
// segment's allocator lock; AllocObjectContext waits until ctx ends.
func (s *Segment) AllocObject(name string, kind Kind, version uint32, size, align int, init func([]byte)) (*Object, error) {
	ctx, cancel := context.WithTimeout(context.Background(), allocLockTimeout)
	defer cancel()
	return s.AllocObjectContext(ctx, name, kind, version, size, align, init)
}

// AllocObjectContext is AllocObject waiting for the allocator lock until
// ctx ends.
func (s *Segment) AllocObjectContext(ctx context.Context, name string, kind Kind, version uint32, size, align int, init func([]byte)) (*Object, error) {
	if err := checkObjectName(name); err != nil {
		return nil, err
	}
	if align == 0 {
		align = 8
	}
	if align < 0 || align > MaxAlign || align&(align-1) != 0 {
		return nil, fmt.Errorf("object %q: alignment %d: must be a power of two up to %d: %w", name, align, MaxAlign, os.ErrInvalid)
	}
	if size <= 0 || uint64(size) > s.size {
		return nil, fmt.Errorf("object %q: size %d: must be 1..%d: %w", name, size, s.size, os.ErrInvalid)
	}
	if kind == 0 {
		return nil, fmt.Errorf("object %q: kind 0: %w", name, os.ErrInvalid)
	}
	if s.closed.Load() {
		return nil, fmt.Errorf("object %q: %w", name, os.ErrClosed)
	}
	if err := s.lockAlloc(ctx); err != nil {
		return nil, err
	}
	defer s.unlockAlloc()
	return s.allocLocked(name, kind, version, uint64(size), uint64(align), init)
}

func (s *Segment) allocLocked(name string, kind Kind, version uint32, size, align uint64, init func([]byte)) (*Object, error) {
	h := hdr(s.mm)
	count := int(atomic.LoadUint32(&h.Count))
	if count > s.dirCap {
		return nil, fmt.Errorf("directory count %d over capacity %d: %w", count, s.dirCap, ErrCorrupt)
	}
	for i := range count {
		if ent(s.mm, i).name() == name {
			return nil, fmt.Errorf("object %q: %w", name, os.ErrExist)
		}
	}
	if count == s.dirCap {
		return nil, fmt.Errorf("object %q: directory holds its %d objects: %w", name, s.dirCap, ErrFull)
	}
	cursor := atomic.LoadUint64(&h.Cursor)
	if cursor < s.dataOff || cursor > s.size {
		return nil, fmt.Errorf("allocation cursor %d outside %d..%d: %w", cursor, s.dataOff, s.size, ErrCorrupt)
	}
	off := alignUp(cursor, align)
	if off > s.size || size > s.size-off {
		return nil, fmt.Errorf("object %q needs %d bytes, %d left: %w", name, size, s.size-min(off, s.size), ErrFull)
	}
	o := &Object{seg: s, index: count, name: name, kind: kind, version: version, off: off, size: size}
	if init != nil {
		init(o.Bytes())
	}
	e := ent(s.mm, count)
	*e = entry{Kind: uint32(kind), Version: version, Offset: off, Size: size}
	copy(e.Name[:], name)
	// Publication order: the entry's fields, then the cursor, then the
	// count. A reader that loads Count (pairs with this store) sees a
	// complete entry; a crash before the count leaves only unused space.
	atomic.StoreUint64(&h.Cursor, off+size)
	atomic.StoreUint32(&h.Count, uint32(count+1))
	return o, nil
}

// allocLockTimeout bounds how long Alloc and AllocObject, which take no
// context, wait for a live holder of the allocator lock. A dead holder is
// found within milliseconds (see internal/owner), so only a live process
// that stops inside Alloc (a debugger, SIGSTOP) makes them wait this long.
const allocLockTimeout = 10 * time.Second

// lockAlloc takes the segment's allocator lock, a robust owner.Lock in the
// header. A holder found dead (it crashed mid-Alloc) is replaced: the
// allocation protocol above leaves nothing half-published to repair, so
// the lock is marked consistent at once.
func (s *Segment) lockAlloc(ctx context.Context) error {
	s.allocMu.Lock()
	me, err := owner.SelfID()
	if err == nil {
		l := &hdr(s.mm).AllocLock
		err = l.Lock(ctx, me, &s.allocSpin)
		if errors.Is(err, owner.ErrOwnerDead) {
			err = l.MarkConsistent(me)
		}
	}
	if err != nil {
		s.allocMu.Unlock()
		return fmt.Errorf("segment %q: allocator lock: %w", s.name, err)
	}
	s.allocID = me
	return nil
}

func (s *Segment) unlockAlloc() {
	// Only a corrupted word (another process wrote it) makes this fail;
	// the next locker then finds the state the word says.
	_ = hdr(s.mm).AllocLock.Unlock(s.allocID)
	s.allocMu.Unlock()
}

// object reads and validates directory entry i (i < published count).
func (s *Segment) object(i int) (*Object, error) {
	e := ent(s.mm, i)
	// Copy the entry out of shared memory once, then check the copy: a
	// hostile writer cannot change it between check and use.
	c := *e
	name := c.name()
	if name == "" || c.Kind == 0 || c.Size == 0 || c.Offset < s.dataOff || c.Offset > s.size || c.Size > s.size-c.Offset {
		return nil, fmt.Errorf("directory entry %d (%q: kind %d at %d, %d bytes) outside the segment's %d bytes: %w",
			i, name, c.Kind, c.Offset, c.Size, s.size, ErrCorrupt)
	}
	return &Object{seg: s, index: i, name: name, kind: Kind(c.Kind), version: c.Version, off: c.Offset, size: c.Size}, nil
}

func (s *Segment) count() (int, error) {
	if s.closed.Load() {
		return 0, os.ErrClosed
	}
	n := int(atomic.LoadUint32(&hdr(s.mm).Count)) // pairs with the store in allocLocked
	if n > s.dirCap {
		return 0, fmt.Errorf("directory count %d over capacity %d: %w", n, s.dirCap, ErrCorrupt)
	}
	return n, nil
}

// Lookup finds the object called name. A missing name is os.ErrNotExist.
// Lookup takes no lock: published entries never change.
func (s *Segment) Lookup(name string) (*Object, error) {
	n, err := s.count()
	if err != nil {
		return nil, fmt.Errorf("looking up %q: %w", name, err)
	}
	for i := range n {
		if ent(s.mm, i).name() == name {
			return s.object(i)
		}
	}
	return nil, fmt.Errorf("object %q in segment %q: %w", name, s.name, os.ErrNotExist)
}

// LookupKind is Lookup that also checks the object's kind and layout
// version: a mismatch is ErrWrongKind.
func (s *Segment) LookupKind(name string, kind Kind, version uint32) (*Object, error) {
	o, err := s.Lookup(name)
	if err != nil {
		return nil, err
	}
	if err := o.Check(kind, version); err != nil {
		return nil, err
	}
	return o, nil
}

// Check returns ErrWrongKind unless o is of kind and version.
func (o *Object) Check(kind Kind, version uint32) error {
	if o.kind != kind || o.version != version {
		return fmt.Errorf("object %q is %s v%d, want %s v%d: %w", o.name, o.kind, o.version, kind, version, ErrWrongKind)
	}
	return nil
}

// Objects returns every published object in allocation order. Entries that
// fail validation are left out and reported in the error (ErrCorrupt).
func (s *Segment) Objects() ([]*Object, error) {
	n, err := s.count()
	if err != nil {
		return nil, err
	}
	objs := make([]*Object, 0, n)
	var errs []error
	for i := range n {
		o, err := s.object(i)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		objs = append(objs, o)
	}
	if len(errs) > 0 {
		return objs, fmt.Errorf("segment %q: %d bad entries: %w", s.name, len(errs), errs[0])
	}
	return objs, nil
}
