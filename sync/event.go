package sync

import (
	"context"
	"fmt"
	"structs"
	"sync/atomic"

	"github.com/shmkit/shmkit/internal/owner"
	"github.com/shmkit/shmkit/shm"
)

// Event is a flag in shared memory that processes wait for: Python's
// multiprocessing.Event. Set wakes every waiter; Clear resets the flag.
//
// A waiter that sleeps through a Set followed at once by a Clear still
// returns: Set also advances a generation counter, and Wait returns when
// the flag is set or the generation moved. A process that dies inside Wait
// leaves nothing behind but an extra count of sleepers, which the next Set
// that finds no one asleep repairs.
type Event struct {
	obj *shm.Object
	l   *eventLayout
}

// eventLayout: State is (generation << 1) | set; the futex word.
type eventLayout struct {
	_     structs.HostLayout
	State uint32 // atomic
	W     owner.Waiters
	_     [shm.CacheLinePad - 12]byte
}

const eventSize = shm.CacheLinePad

// NewEvent allocates a cleared Event called name in seg.
func NewEvent(seg *shm.Segment, name string) (*Event, error) {
	o, err := alloc(seg, name, shm.KindEvent, eventSize, nil)
	if err != nil {
		return nil, err
	}
	return eventOf(o), nil
}

// OpenEvent finds the Event called name in seg.
func OpenEvent(seg *shm.Segment, name string) (*Event, error) {
	o, err := open(seg, name, shm.KindEvent, eventSize)
	if err != nil {
		return nil, err
	}
	return eventOf(o), nil
}

func eventOf(o *shm.Object) *Event {
	return &Event{obj: o, l: layoutAt[eventLayout](o.Bytes())}
}

// Set sets the flag and wakes every waiter.
func (e *Event) Set() {
	raceRelease(e.l)
	for {
		old := atomic.LoadUint32(&e.l.State)
		if old&1 != 0 {
			return
		}
		// The generation moves with every Set, so a waiter that reads
		// the word after a Set and a Clear still sees a change.
		if atomic.CompareAndSwapUint32(&e.l.State, old, (old+2)|1) {
			owner.Wake(&e.l.State, &e.l.W, owner.WakeAll)
			return
		}
	}
}

// Clear resets the flag; later Waits block until the next Set.
func (e *Event) Clear() {
	for {
		old := atomic.LoadUint32(&e.l.State)
		if old&1 == 0 || atomic.CompareAndSwapUint32(&e.l.State, old, old&^1) {
			return
		}
	}
}

// IsSet reports whether the flag is set.
func (e *Event) IsSet() bool { return atomic.LoadUint32(&e.l.State)&1 != 0 }

// Wait returns nil once the flag is set (at once if it is), or ctx's
// error, wrapped, if ctx ends first.
func (e *Event) Wait(ctx context.Context) error {
	defer raceAcquire(e.l)
	s := atomic.LoadUint32(&e.l.State)
	if s&1 != 0 {
		return nil
	}
	for i := 0; i < 64; i++ { // a short spin: Set often comes soon
		owner.Pause(i)
		if atomic.LoadUint32(&e.l.State) != s {
			return nil
		}
	}
	for n := 0; ; n++ {
		if _, err := owner.Sleep(ctx, &e.l.State, &e.l.W, s, n); err != nil {
			return fmt.Errorf("waiting for event %q: %w", e.obj.Name(), err)
		}
		if atomic.LoadUint32(&e.l.State) != s {
			return nil
		}
	}
}

// Handle returns the shm handle of e's object.
func (e *Event) Handle() shm.Handle { return e.obj.Handle() }

// MarshalBinary encodes e's handle (for gob, and children).
func (e *Event) MarshalBinary() ([]byte, error) { return marshal(e.obj) }

// UnmarshalBinary attaches the Event a marshalled handle names, in this
// process (gob and package process use it).
func (e *Event) UnmarshalBinary(b []byte) error { return shm.UnmarshalHandle(b, e) }

// AttachHandle attaches e to the Event h names (see shm.AttachAs).
func (e *Event) AttachHandle(h shm.Handle) error {
	o, err := attach(h, shm.KindEvent, eventSize)
	if err != nil {
		return err
	}
	*e = *eventOf(o)
	return nil
}

func (e *Event) describe() string {
	s := atomic.LoadUint32(&e.l.State)
	st := "clear"
	if s&1 != 0 {
		st = "set"
	}
	if n := atomic.LoadUint32(&e.l.W.Sleepers); n != 0 {
		st += fmt.Sprintf(", %d asleep", n)
	}
	return st
}
