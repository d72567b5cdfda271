package sync

import (
	"context"
	"fmt"
	"os"
	"structs"
	"sync/atomic"
	"time"

	"github.com/shmkit/shmkit/internal/owner"
	"github.com/shmkit/shmkit/shm"
)

// Barrier lets a fixed number of parties wait for each other: Python's
// multiprocessing.Barrier. Each party calls Wait; the last to arrive
// releases them all, and the barrier is ready for the next round (a
// generation).
//
// A barrier breaks, and every waiter returns ErrBrokenBarrier, when a
// waiter's context ends, when Reset is called while parties wait, or when a
// process that took part in the previous generation has died without
// arriving in this one (waiters check this whenever their sleep times out,
// so within about 50 ms). A party that dies before its first Wait cannot be
// told from one that is late: give Wait a deadline. A broken barrier stays
// broken until Reset.
type Barrier struct {
	obj     *shm.Object
	l       *barrierLayout
	parties int
	me      uint64
	action  func() error
	timeout time.Duration
}

// WithAction sets the function run when a generation completes, by the
// process whose arrival completes it, before any party is released
// (Python's Barrier(action=...)); it returns b. An action is a function of
// this process, not of the shared object: set it on every process's handle
// that may arrive last. An action that fails breaks the barrier: that
// party's Wait returns its error wrapped with ErrBrokenBarrier and the
// others ErrBrokenBarrier.
func (b *Barrier) WithAction(fn func() error) *Barrier { b.action = fn; return b }

// WithTimeout bounds every Wait of this handle to d (Python's Barrier
// timeout), on top of its context; a Wait that times out breaks the
// barrier. It returns b; 0 means no bound but the context's.
func (b *Barrier) WithTimeout(d time.Duration) *Barrier { b.timeout = d; return b }

// barrierLayout is the header, then two tables of the parties' ids, one
// per generation parity: table[g&1][i] is the i-th arrival of generation g.
// The table of generation g-1 tells the waiters of g whom to expect.
//
// State, the futex word: generation << 16 | broken << 15 | arrived count.
type barrierLayout struct {
	_         structs.HostLayout
	State     uint32 // atomic
	W         owner.Waiters
	Parties   uint32 // constant
	LastReset uint32 // atomic: the generation Reset started (low 16 bits)
	_         [shm.CacheLinePad - 20]byte
}

const (
	barrierHeader = shm.CacheLinePad
	brokenBit     = 1 << 15
	countMask     = brokenBit - 1
	// MaxParties bounds a Barrier's parties.
	MaxParties = 1024
)

func barrierSize(parties int) int { return barrierHeader + 2*8*parties }

func stateGen(s uint32) uint16 { return uint16(s >> 16) }

// NewBarrier allocates a Barrier for parties processes (or goroutines)
// called name in seg.
func NewBarrier(seg *shm.Segment, name string, parties int) (*Barrier, error) {
	if parties < 1 || parties > MaxParties {
		return nil, fmt.Errorf("barrier %q: %d parties: want 1..%d: %w", name, parties, MaxParties, os.ErrInvalid)
	}
	o, err := alloc(seg, name, shm.KindBarrier, barrierSize(parties), func(b []byte) {
		layoutAt[barrierLayout](b).Parties = uint32(parties)
	})
	if err != nil {
		return nil, err
	}
	return barrierOf(o)
}

// OpenBarrier finds the Barrier called name in seg.
func OpenBarrier(seg *shm.Segment, name string) (*Barrier, error) {
	o, err := open(seg, name, shm.KindBarrier, barrierSize(1))
	if err != nil {
		return nil, err
	}
	return barrierOf(o)
}

func barrierOf(o *shm.Object) (*Barrier, error) {
	l := layoutAt[barrierLayout](o.Bytes())
	// Parties is read once, checked against the object's size, and kept
	// in private memory: a later write to it cannot send us out of bounds.
	p := int(atomic.LoadUint32(&l.Parties))
	if p < 1 || p > MaxParties || barrierSize(p) > o.Size() {
		return nil, fmt.Errorf("%s: %d parties: %w", o, p, shm.ErrCorrupt)
	}
	me, err := owner.SelfID()
	if err != nil {
		return nil, err
	}
	return &Barrier{obj: o, l: l, parties: p, me: me}, nil
}

// slot is table[gen&1][i]; i < b.parties.
func (b *Barrier) slot(gen uint16, i int) *uint64 {
	off := barrierHeader + (int(gen&1)*b.parties+i)*8
	return layoutAt[uint64](b.obj.Bytes()[off:])
}

// Parties returns the number of parties the barrier waits for.
func (b *Barrier) Parties() int { return b.parties }

// Wait arrives at the barrier and waits for the other parties. It returns
// the arrival index, 0 for the first to arrive and Parties()-1 for the
// last (which releases the others), or ErrBrokenBarrier, wrapped with the
// reason, when the barrier is or gets broken. A Wait whose ctx ends breaks
// the barrier for all.
func (b *Barrier) Wait(ctx context.Context) (int, error) {
	if b.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, b.timeout)
		defer cancel()
	}
	raceRelease(b.l)
	defer raceAcquire(b.l)
	for n := 0; ; {
		old := atomic.LoadUint32(&b.l.State)
		if old&brokenBit != 0 {
			return 0, fmt.Errorf("barrier %q: %w", b.obj.Name(), ErrBrokenBarrier)
		}
		gen, c := stateGen(old), int(old&countMask)
		if c == b.parties {
			// Every party is in and the last runs its action: this is a
			// party of the next generation, early. Wait for the switch.
			if _, err := owner.Sleep(ctx, &b.l.State, &b.l.W, old, n); err != nil {
				return 0, fmt.Errorf("barrier %q: waiting for the action: %w", b.obj.Name(), err)
			}
			n++
			continue
		}
		if c > b.parties {
			return 0, fmt.Errorf("barrier %q: %d arrived of %d parties: %w", b.obj.Name(), c, b.parties, shm.ErrCorrupt)
		}
		// The CAS gives this party index c of generation gen; it then
		// records its id in table[gen&1][c] for the death check of the
		// next generation (which looks only after sleeping a millisecond
		// or more, long after this store).
		if c+1 == b.parties {
			if b.action != nil {
				if !atomic.CompareAndSwapUint32(&b.l.State, old, old+1) {
					continue
				}
				atomic.StoreUint64(b.slot(gen, c), b.me)
				return c, b.complete(gen, old+1)
			}
			// Last: start the next generation with no one arrived.
			if atomic.CompareAndSwapUint32(&b.l.State, old, uint32(gen+1)<<16) {
				atomic.StoreUint64(b.slot(gen, c), b.me)
				owner.Wake(&b.l.State, &b.l.W, owner.WakeAll)
				return c, nil
			}
			continue
		}
		if atomic.CompareAndSwapUint32(&b.l.State, old, old+1) {
			atomic.StoreUint64(b.slot(gen, c), b.me)
			return c, b.await(ctx, gen)
		}
	}
}

// complete runs the action of the last party, which has made the count
// equal to the parties (state full), then starts the next generation, or
// breaks this one if the action failed. A party killed inside the action
// is found dead by the waiters' checks, which break the generation.
func (b *Barrier) complete(gen uint16, full uint32) error {
	if err := b.action(); err != nil {
		b.breakGen(gen)
		return fmt.Errorf("barrier %q: action: %w: %w", b.obj.Name(), ErrBrokenBarrier, err)
	}
	if !atomic.CompareAndSwapUint32(&b.l.State, full, uint32(gen+1)<<16) {
		// Broken or reset while the action ran.
		return fmt.Errorf("barrier %q: broken while its action ran: %w", b.obj.Name(), ErrBrokenBarrier)
	}
	owner.Wake(&b.l.State, &b.l.W, owner.WakeAll)
	return nil
}

// await sleeps until generation gen ends: completed (nil), reset or broken
// (ErrBrokenBarrier). On each sleep timeout it looks for a dead party.
func (b *Barrier) await(ctx context.Context, gen uint16) error {
	for n := 0; ; n++ {
		s := atomic.LoadUint32(&b.l.State)
		if stateGen(s) != gen {
			// Reset stores LastReset before it moves the generation.
			if uint16(atomic.LoadUint32(&b.l.LastReset)) == gen+1 {
				return fmt.Errorf("barrier %q reset while waiting: %w", b.obj.Name(), ErrBrokenBarrier)
			}
			return nil
		}
		if s&brokenBit != 0 {
			return fmt.Errorf("barrier %q: %w", b.obj.Name(), ErrBrokenBarrier)
		}
		timedOut, err := owner.Sleep(ctx, &b.l.State, &b.l.W, s, n)
		if err != nil {
			if b.breakGen(gen) {
				return fmt.Errorf("barrier %q: %w: %w", b.obj.Name(), ErrBrokenBarrier, err)
			}
			continue // the generation ended meanwhile: report how
		}
		if timedOut {
			if pid := b.deadParty(gen); pid != 0 && b.breakGen(gen) {
				return fmt.Errorf("barrier %q: party pid %d died: %w", b.obj.Name(), pid, ErrBrokenBarrier)
			}
		}
	}
}

// breakGen sets the broken bit if generation gen is still current, and
// wakes everyone. It reports whether gen was broken (by us or before).
func (b *Barrier) breakGen(gen uint16) bool {
	for {
		s := atomic.LoadUint32(&b.l.State)
		if stateGen(s) != gen {
			return false
		}
		if s&brokenBit != 0 || atomic.CompareAndSwapUint32(&b.l.State, s, s|brokenBit) {
			owner.Wake(&b.l.State, &b.l.W, owner.WakeAll)
			return true
		}
	}
}

// deadParty returns the pid of a process that arrived in generation gen-1,
// has not arrived in gen, and is dead; 0 if there is none.
func (b *Barrier) deadParty(gen uint16) int {
	arrived := int(atomic.LoadUint32(&b.l.State) & countMask)
	arrived = min(arrived, b.parties)
	if arrived == b.parties {
		// Every party is in: the last runs its action. Its death would
		// leave the generation full for ever.
		if id := atomic.LoadUint64(b.slot(gen, arrived-1)); id != 0 && !owner.Alive(id) {
			return owner.Pid(id)
		}
	}
	if uint16(atomic.LoadUint32(&b.l.LastReset)) == gen {
		// The first generation after a Reset expects no one from the
		// generation before it: those parties were released (broken)
		// and may well have gone.
		return 0
	}
outer:
	for i := range b.parties {
		id := atomic.LoadUint64(b.slot(gen-1, i))
		if id == 0 || owner.Alive(id) {
			continue
		}
		for j := range arrived {
			if atomic.LoadUint64(b.slot(gen, j)) == id {
				continue outer
			}
		}
		return owner.Pid(id)
	}
	return 0
}

// Reset returns the barrier to its initial state: a new generation with no
// one arrived and not broken. Parties waiting get ErrBrokenBarrier.
//
// Order: the broken bit first (it freezes arrivals), then LastReset, then
// the new generation: a waiter that sees the generation move also sees
// LastReset telling it the move was a reset.
func (b *Barrier) Reset() {
	var gen uint16
	for {
		s := atomic.LoadUint32(&b.l.State)
		if s&brokenBit != 0 || atomic.CompareAndSwapUint32(&b.l.State, s, s|brokenBit) {
			gen = stateGen(s)
			break
		}
	}
	atomic.StoreUint32(&b.l.LastReset, uint32(gen+1))
	atomic.StoreUint32(&b.l.State, uint32(gen+1)<<16)
	owner.Wake(&b.l.State, &b.l.W, owner.WakeAll)
}

// Abort breaks the barrier: waiting and later parties get ErrBrokenBarrier
// until Reset.
func (b *Barrier) Abort() {
	b.breakGen(stateGen(atomic.LoadUint32(&b.l.State)))
}

// Broken reports whether the barrier is broken.
func (b *Barrier) Broken() bool { return atomic.LoadUint32(&b.l.State)&brokenBit != 0 }

// Waiting returns how many parties have arrived in the current generation.
func (b *Barrier) Waiting() int { return int(atomic.LoadUint32(&b.l.State) & countMask) }

// Handle returns the shm handle of b's object.
func (b *Barrier) Handle() shm.Handle { return b.obj.Handle() }

// MarshalBinary encodes b's handle (for gob, and children).
func (b *Barrier) MarshalBinary() ([]byte, error) { return marshal(b.obj) }

// UnmarshalBinary attaches the Barrier a marshalled handle names, in this
// process (gob and package process use it).
func (b *Barrier) UnmarshalBinary(p []byte) error { return shm.UnmarshalHandle(p, b) }

// AttachHandle attaches b to the Barrier h names (see shm.AttachAs).
func (b *Barrier) AttachHandle(h shm.Handle) error {
	o, err := attach(h, shm.KindBarrier, barrierSize(1))
	if err != nil {
		return err
	}
	n, err := barrierOf(o)
	if err != nil {
		return err
	}
	*b = *n
	return nil
}

func (b *Barrier) describe() string {
	s := atomic.LoadUint32(&b.l.State)
	d := fmt.Sprintf("%d/%d waiting, generation %d", s&countMask, b.parties, stateGen(s))
	if s&brokenBit != 0 {
		d += ", broken"
	}
	return d
}
