package ring

import (
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/shmkit/shmkit/internal/owner"
	"github.com/shmkit/shmkit/shm"
)

// ---- participants ----

// local is this process's share of a queue's participant table: the
// entries it owns and is not using. Every handle of the same queue in a
// process shares one, so gob-decoding a handle many times takes no new
// entries.
type local struct {
	cached atomic.Int32 // an idle entry index + 1; 0 when none
	mu     sync.Mutex
	free   []int
}

type localKey struct {
	seg uint64
	off int
}

var locals sync.Map // localKey → *local

func localFor(obj *shm.Object) *local {
	k := localKey{obj.Segment().ID(), obj.Offset()}
	if l, ok := locals.Load(k); ok {
		return l.(*local)
	}
	l, _ := locals.LoadOrStore(k, &local{})
	return l.(*local)
}

// Each handle keeps one entry between calls (own): a Put or Get takes it
// with one compare-and-swap on a word of this process's memory, which no
// other process touches, and gives it back with a plain store. So a handle
// used by one goroutine at a time (a producer's or consumer's loop) pays
// one uncontended locked instruction for its entry, not two, and nothing
// locked after its commit store: the old return, a CMPXCHG on the word
// every goroutine of the process shares, came right after the commit and
// waited for it to leave the store buffer while consumers polled its line.
// A second goroutine in a call of the same handle meanwhile finds it busy
// and takes an entry from the process's pool (local), as every call did
// before: correct for any number of goroutines, fastest for one.
//
// The obvious-but-wrong version, a plain bool "in use" per handle, lets two
// goroutines that enter together both take the entry, and one's intent then
// overwrites the other's: a rescuer could no longer find the first claim.
//
// The handle's entry returns to the pool when the handle is garbage
// collected (a cleanup), so handles decoded and dropped take no entries for
// good.
type ownEntry struct {
	busy atomic.Uint64 // 1 while a call of this handle uses idx
	idx  atomic.Int64  // the entry's index + 1; 0 until the first call
	l    *local        // where the entry goes back when the handle is gone
}

// keepOwn registers the cleanup that gives q's entry back once q is gone.
func keepOwn(q *MPMC) {
	runtime.AddCleanup(q, func(o *ownEntry) {
		if i := o.idx.Load(); i != 0 && o.busy.Load() == 0 {
			o.l.releaseEntry(int(i - 1))
		}
	}, q.own)
}

// acquire returns an entry for one Put or Get: the handle's own when no
// other call of this handle holds it, else an idle one of this process's,
// or a new one claimed in the table.
func (q *MPMC) acquire() (*partEntry, int, error) {
	o := q.own
	if o.busy.Load() == 0 && o.busy.CompareAndSwap(0, 1) {
		if i := o.idx.Load(); i != 0 {
			return q.entry(int(i - 1)), int(i - 1), nil
		}
		e, i, err := q.local.acquire(q)
		if err != nil {
			publish(&o.busy, 0)
			return nil, 0, err
		}
		o.idx.Store(int64(i + 1))
		return e, i, nil
	}
	return q.local.acquire(q)
}

func (l *local) acquire(q *MPMC) (*partEntry, int, error) {
	if i := l.cached.Swap(0); i != 0 {
		return q.entry(int(i - 1)), int(i - 1), nil
	}
	l.mu.Lock()
	if n := len(l.free); n > 0 {
		i := l.free[n-1]
		l.free = l.free[:n-1]
		l.mu.Unlock()
		return q.entry(i), i, nil
	}
	l.mu.Unlock()
	i, err := q.claimEntry()
	if err != nil {
		return nil, 0, err
	}
	return q.entry(i), i, nil
}

// releaseEntry gives back what acquire returned: the handle's own entry
// with a plain store (the entry's intents were cleared by publish before
// it; nothing else of this process reads the busy word but acquire), any
// other to the process's pool.
func (q *MPMC) releaseEntry(i int) {
	if o := q.own; int64(i+1) == o.idx.Load() {
		publish(&o.busy, 0)
		return
	}
	q.local.releaseEntry(i)
}

func (l *local) releaseEntry(i int) {
	if l.cached.CompareAndSwap(0, int32(i+1)) {
		return
	}
	l.mu.Lock()
	l.free = append(l.free, i)
	l.mu.Unlock()
}

// claimEntry takes a free table entry, or one whose owner is dead (after
// recovering whatever the dead owner held).
func (q *MPMC) claimEntry() (int, error) {
	me, err := owner.SelfID()
	if err != nil {
		return 0, err
	}
	for i := range q.nparts {
		e := q.entry(i)
		old := e.id.Load()
		if old != 0 {
			if owner.Alive(old) {
				continue
			}
			q.recoverEntry(e)
		}
		if !e.id.CompareAndSwap(old, me) {
			continue
		}
		// Identity before intents: a scanner reads intents first, then
		// the identity, so it never pairs our intent with the old owner.
		e.pPos.Store(noPos)
		e.cPos.Store(noPos)
		return i, nil
	}
	return 0, q.errs.errorf("%d participant entries: %w", q.nparts, ErrTooManyParticipants)
}

// alive reports whether the entry's owner runs (this process counts).
func (e *partEntry) alive() bool { return owner.Alive(e.id.Load()) }

// intent reads an intent pair consistently (pos, span, pos again).
func readIntent(pos, span *atomic.Uint64) (uint64, uint64, bool) {
	for range 4 {
		p := pos.Load()
		s := span.Load()
		if pos.Load() == p {
			return p, s, p != noPos
		}
	}
	return 0, 0, false
}

// recoverEntry repairs what a dead entry's owner held.
func (q *MPMC) recoverEntry(e *partEntry) {
	if p, s, ok := readIntent(&e.pPos, &e.pSpan); ok {
		q.rescueProducer(p, s)
	}
	if p, s, ok := readIntent(&e.cPos, &e.cSpan); ok {
		q.rescueConsumer(p, s)
	}
}
