package sync

import (
	"context"
	"fmt"
	"os"
	"structs"
	"sync/atomic"

	"github.com/shmkit/shmkit/internal/owner"
	"github.com/shmkit/shmkit/shm"
)

// Semaphore is a counting semaphore in shared memory, bounded: Python's
// multiprocessing.BoundedSemaphore. Acquire takes one unit, waiting while
// there is none; Release gives one back, and releasing past the bound is
// ErrOverflow.
//
// Units are not owned: a process that dies holding units does not give
// them back (as with POSIX and Python semaphores). Use a Mutex when the
// holder must be recoverable.
type Semaphore struct {
	obj *shm.Object
	l   *semLayout
	sp  owner.Spinner
}

// semLayout: Count is the futex word; Max is written once at creation.
type semLayout struct {
	_     structs.HostLayout
	Count uint32 // atomic: units available
	W     owner.Waiters
	Max   uint32 // the bound; constant
	_     [shm.CacheLinePad - 16]byte
}

const semSize = shm.CacheLinePad

// MaxSemaphore bounds a Semaphore's count.
const MaxSemaphore = 1 << 30

// NewSemaphore allocates a Semaphore called name in seg with value units
// available and no bound but MaxSemaphore: Python's Semaphore(value).
// Semaphore(0) is a counter that starts empty.
func NewSemaphore(seg *shm.Segment, name string, value int) (*Semaphore, error) {
	return NewSemaphoreBound(seg, name, value, MaxSemaphore)
}

// NewBoundedSemaphore allocates a Semaphore whose count may never exceed
// value, its start: Python's BoundedSemaphore(value). Releasing past the
// bound is ErrOverflow.
func NewBoundedSemaphore(seg *shm.Segment, name string, value int) (*Semaphore, error) {
	return NewSemaphoreBound(seg, name, value, value)
}

// NewSemaphoreBound allocates a Semaphore with value units available and
// at most max.
func NewSemaphoreBound(seg *shm.Segment, name string, value, max int) (*Semaphore, error) {
	if value < 0 || max < 1 || value > max || max > MaxSemaphore {
		return nil, fmt.Errorf("semaphore %q: value %d, bound %d: want 0 <= value <= bound, 1 <= bound <= %d: %w",
			name, value, max, MaxSemaphore, os.ErrInvalid)
	}
	o, err := alloc(seg, name, shm.KindSemaphore, semSize, func(b []byte) {
		l := layoutAt[semLayout](b)
		l.Count, l.Max = uint32(value), uint32(max)
	})
	if err != nil {
		return nil, err
	}
	return semOf(o)
}

// OpenSemaphore finds the Semaphore called name in seg.
func OpenSemaphore(seg *shm.Segment, name string) (*Semaphore, error) {
	o, err := open(seg, name, shm.KindSemaphore, semSize)
	if err != nil {
		return nil, err
	}
	return semOf(o)
}

func semOf(o *shm.Object) (*Semaphore, error) {
	l := layoutAt[semLayout](o.Bytes())
	if m := atomic.LoadUint32(&l.Max); m < 1 || m > MaxSemaphore {
		return nil, fmt.Errorf("%s: bound %d: %w", o, m, shm.ErrCorrupt)
	}
	return &Semaphore{obj: o, l: l}, nil
}

// TryAcquire takes a unit if one is available, without waiting.
func (s *Semaphore) TryAcquire() bool {
	for {
		c := atomic.LoadUint32(&s.l.Count)
		if c == 0 {
			return false
		}
		if atomic.CompareAndSwapUint32(&s.l.Count, c, c-1) {
			raceAcquire(s.l)
			return true
		}
	}
}

// Acquire takes a unit, waiting while none is available, until ctx ends
// (then ctx's error, wrapped, and no unit taken).
func (s *Semaphore) Acquire(ctx context.Context) error {
	if s.TryAcquire() {
		return nil
	}
	for i := range s.sp.Budget() {
		owner.Pause(i)
		if s.TryAcquire() {
			s.sp.Won()
			return nil
		}
	}
	s.sp.Lost()
	for n := 0; ; n++ {
		if _, err := owner.Sleep(ctx, &s.l.Count, &s.l.W, 0, n); err != nil {
			return fmt.Errorf("acquiring semaphore %q: %w", s.obj.Name(), err)
		}
		if s.TryAcquire() {
			return nil
		}
	}
}

// Release gives a unit back and wakes one waiter. Releasing when the count
// is at its bound is ErrOverflow, and changes nothing.
func (s *Semaphore) Release() error {
	max := atomic.LoadUint32(&s.l.Max)
	raceRelease(s.l)
	for {
		c := atomic.LoadUint32(&s.l.Count)
		if c >= max {
			return fmt.Errorf("semaphore %q at its bound %d: %w", s.obj.Name(), max, ErrOverflow)
		}
		if atomic.CompareAndSwapUint32(&s.l.Count, c, c+1) {
			owner.Wake(&s.l.Count, &s.l.W, 1)
			return nil
		}
	}
}

// Value returns the number of units available now.
func (s *Semaphore) Value() int { return int(atomic.LoadUint32(&s.l.Count)) }

// Handle returns the shm handle of s's object.
func (s *Semaphore) Handle() shm.Handle { return s.obj.Handle() }

// MarshalBinary encodes s's handle (for gob, and children).
func (s *Semaphore) MarshalBinary() ([]byte, error) { return marshal(s.obj) }

// UnmarshalBinary attaches the Semaphore a marshalled handle names, in this
// process (gob and package process use it).
func (s *Semaphore) UnmarshalBinary(b []byte) error { return shm.UnmarshalHandle(b, s) }

// AttachHandle attaches s to the Semaphore h names (see shm.AttachAs).
func (s *Semaphore) AttachHandle(h shm.Handle) error {
	o, err := attach(h, shm.KindSemaphore, semSize)
	if err != nil {
		return err
	}
	n, err := semOf(o)
	if err != nil {
		return err
	}
	s.obj, s.l = n.obj, n.l
	return nil
}

func (s *Semaphore) describe() string {
	st := fmt.Sprintf("%d/%d available", atomic.LoadUint32(&s.l.Count), atomic.LoadUint32(&s.l.Max))
	if n := atomic.LoadUint32(&s.l.W.Sleepers); n != 0 {
		st += fmt.Sprintf(", %d asleep", n)
	}
	return st
}
