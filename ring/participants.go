package ring

import (
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

// acquire returns an entry for one Put or Get: an idle one of this
// process's, or a new one claimed in the table.
func (q *MPMC) acquire() (*partEntry, int, error) {
	l := q.local
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

func (q *MPMC) releaseEntry(i int) {
	l := q.local
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
