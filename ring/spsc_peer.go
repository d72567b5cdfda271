package ring

import (
	"fmt"
	"sync/atomic"
	"time"

	"github.com/shmkit/shmkit/internal/owner"
)

// Dead peers of a Ring. Each side's line holds the owner ID of the process
// that last started using it (its first Reserve or Peek: start), stored
// once and never cleared by that process. A side that has to wait looks at
// the other side's word between sleep slices (stuck), through owner.Alive
// like every other shmkit wait: a peer found dead ends the wait with
// ErrPeerDead, once what the peer left behind has been taken into account
// (a dead writer's committed records are read first; room a dead reader
// freed is used first). A side not yet started (word 0) and a side held by
// this process have nothing to look for.
//
// Starting a side takes it over, whoever held it: the ring has never
// refused a second producer or consumer (one at a time is the caller's
// promise), and a process that replaces a dead peer must be able to. The
// other side then sees a live owner again.

// peerLookEvery bounds how often one side asks owner.Alive about its peer:
// a wait that times out many short first sleeps in a row (see sleep) would
// otherwise pay a liveness look after each.
const peerLookEvery = 5 * time.Millisecond

// selfID is this process's owner ID; 0 (no one, never judged dead) in the
// unlikely case that it cannot be made.
func selfID() uint64 {
	id, err := owner.SelfID()
	if err != nil {
		return 0
	}
	return id
}

// peerWatch is one side's private memory of its looks at the other side.
type peerWatch struct {
	last time.Time // when owner.Alive was last asked
	dead uint64    // the owner ID last found dead: reported again without asking
}

// look returns an error wrapping ErrPeerDead when the process named in w
// (the other side's owner word) is dead; role names that side.
func (pw *peerWatch) look(w *atomic.Uint64, role string) error {
	id := w.Load()
	if id == 0 {
		return nil
	}
	if id != pw.dead {
		now := time.Now()
		if now.Sub(pw.last) < peerLookEvery {
			return nil
		}
		pw.last = now
		if owner.Alive(id) {
			return nil
		}
		pw.dead = id
	}
	return fmt.Errorf("ring %s (pid %d) died: %w", role, owner.Pid(id), ErrPeerDead)
}

// sliceFor is the longest sleep of a wait whose peer's owner word is w:
// long when the peer is this process (nothing to look for), a peer slice
// otherwise, also while no process has started that side yet (it may be
// one that then dies: starting a side wakes no one, so that WriteQuiet
// stays quiet).
func sliceFor(w *atomic.Uint64) time.Duration {
	if id := w.Load(); id != 0 && id == selfID() {
		return time.Duration(quietSlice.Load())
	}
	return time.Duration(peerSlice.Load())
}

// stuck looks for a dead reader while the producer waits for room. Room
// the reader freed before it died is used first.
func (p *producer) stuck() error {
	if d := p.r.dir; d != nil {
		return d.writerStuck()
	}
	err := p.peer.look(&p.r.h.cons.owner, "reader")
	if err != nil {
		if ok, rerr := p.ready(); ok || rerr != nil {
			return rerr
		}
	}
	return err
}

func (p *producer) slice() time.Duration {
	if d := p.r.dir; d != nil {
		return d.slice(d.reader)
	}
	return sliceFor(&p.r.h.cons.owner)
}

// stuck looks for a dead writer while the consumer waits for a record.
// Every record the writer committed is read before its death is reported:
// death is looked at first, then the head once more, and a commit made
// before the death is visible by then.
func (c *consumer) stuck() error {
	if d := c.r.dir; d != nil {
		return d.readerStuck(c)
	}
	err := c.peer.look(&c.r.h.prod.owner, "writer")
	if err != nil {
		if ok, rerr := c.ready(); ok || rerr != nil {
			return rerr
		}
	}
	return err
}

func (c *consumer) slice() time.Duration {
	if d := c.r.dir; d != nil {
		return d.slice(d.writer)
	}
	return sliceFor(&c.r.h.prod.owner)
}

// ForgetDeadPeers clears the owner word of each side of the ring whose
// process died, so that the other side's waits wait for a new process to
// start that side instead of failing with ErrPeerDead: for a ring that
// outlives its peers, such as a pool's ring handed from a dead worker to
// its replacement (call it once the dead one is known dead, before waiting
// for the new one). A side whose process lives, or whose liveness cannot
// be told, is left alone. It returns how many sides it cleared.
func (r *Ring) ForgetDeadPeers() int {
	n := 0
	for _, s := range []*sideLine{&r.h.prod, &r.h.cons} {
		if id := s.owner.Load(); id != 0 && !owner.Alive(id) && s.owner.CompareAndSwap(id, 0) {
			n++
		}
	}
	return n
}
