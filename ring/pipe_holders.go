package ring

import (
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/shmkit/shmkit/internal/owner"
)

// Who holds a pipe end. Python closes a Connection per process: a child
// that closes its copy of an end leaves the parent's alone, and a reader
// sees EOF once every writer's copy is closed. Here each end has a table
// of holders in the pipe's header: one entry per process that holds the
// end (however many *Conn handles it has: the process counts them in
// holds), naming it by owner ID, so that a dead holder is found and
// healed like every other dead owner in shmkit.
//
// A handle on its way to another process holds the end too: MarshalBinary
// writes a pending entry, answered for by the marshaller, whose token the
// handle carries; the process that attaches the handle takes the entry
// over with one CAS. So the parent may Close its copy right after starting
// the child (Python's idiom) without the end looking closed to a reader in
// between. A pending entry lapses when the process that answers for it
// dies, or pendingTTL after it was made (a handle that was encoded and
// never attached, such as the argument of a start that failed); a handle
// attached later holds the end afresh.
//
// Protocol, per end (count is the end's endLine.count):
//
//	hold:     count += 1 ; CAS an entry 0 (or dead, or lapsed) → me
//	release:  CAS entry me → 0 ; count -= 1 ; wake the other side
//	pending:  count += 1 ; CAS entry 0 → me|claiming ; write token,
//	          expires ; entry := me|pending
//	take:     entry == x|pending && token matches: CAS → me (count stays)
//	heal:     CAS a dead (or lapsed) entry → 0 ; count -= 1 ;
//	          deaths += 1 unless it was pending
//
// count is raised before an entry is taken and lowered after one is freed,
// so it is never below the entries in use, and count == 0 means "no
// holder" without a scan: that is what a sender's and a receiver's fast
// path read (one load of a line written only on attach and close). The
// obvious order (take, then count) lets a reader see 0 while a live
// process holds the end. A process killed between the steps leaves count
// one too high: the scans that waiting peers make between sleeps (live)
// see through it.

// pendingTTL is how long a marshaled handle holds its end before some
// process attaches it (a variable for tests).
var pendingTTL atomic.Int64 // nanoseconds

func init() { pendingTTL.Store(int64(5 * time.Minute)) }

// holds is this process's count of handles on each end it holds.
var holds struct {
	mu sync.Mutex
	m  map[holdKey]*hold
}

type holdKey struct {
	seg uint64
	off int
	end uint8
}

type hold struct {
	idx  int // the entry in the end's table
	refs int // open handles of this process on the end
}

func (c *Conn) key() holdKey {
	return holdKey{c.p.obj.Segment().ID(), c.p.obj.Offset(), c.end}
}

func (p *pipe) entry(end, i int) *holderEntry { return holderAt(p.mem, p.g.tableOff(end), i) }
func (p *pipe) line(end int) *endLine         { return &p.h.ends[end] }

// token names a pending entry: its index and token, carried by a handle.
type token struct {
	idx int
	tok uint64
}

// hold makes c count in this process's hold on its end, taking the
// pending entry t over when there is one (a handle made by
// MarshalBinary), else taking a new entry unless the process holds the
// end already.
func (c *Conn) hold(t *token) error {
	me, err := owner.SelfID()
	if err != nil {
		return err
	}
	p, end := c.p, int(c.end)
	holds.mu.Lock()
	defer holds.mu.Unlock()
	if holds.m == nil {
		holds.m = make(map[holdKey]*hold)
	}
	k := c.key()
	if h := holds.m[k]; h != nil && p.entry(end, h.idx).id.Load() == me {
		h.refs++
		if t != nil {
			p.dropPending(end, *t) // this process holds the end already
		}
		c.held = true
		return nil
	}
	idx := -1
	if t != nil && p.takePending(end, *t, me) {
		idx = t.idx
	} else if idx, err = p.takeEntry(end, me, me); err != nil {
		return err
	}
	holds.m[k] = &hold{idx: idx, refs: 1}
	c.held = true
	return nil
}

// unhold lets go of c's count in the process's hold; the last handle of
// the process frees the entry and wakes the other side, whose waits then
// look again at who holds this end.
func (c *Conn) unhold() {
	if !c.held {
		return
	}
	c.held = false
	me, _ := owner.SelfID()
	p, end := c.p, int(c.end)
	holds.mu.Lock()
	k := c.key()
	h := holds.m[k]
	if h != nil {
		if h.refs--; h.refs > 0 {
			holds.mu.Unlock()
			return
		}
		delete(holds.m, k)
	}
	holds.mu.Unlock()
	if h != nil && p.entry(end, h.idx).id.CompareAndSwap(me, 0) {
		p.line(end).count.Add(-1)
	}
	p.wakeOthers(end)
}

// wakeOthers wakes whoever waits on the other side of end: readers of what
// end sends, writers to what end receives, so that they look again.
func (p *pipe) wakeOthers(end int) {
	for _, r := range []*Ring{p.a, p.b} {
		if r == nil {
			continue
		}
		if r.dir.writer == end {
			r.h.dataWait.wakeAll()
		} else {
			r.h.spaceWait.wakeAll()
		}
	}
}

// takeEntry takes a free entry of end's table for id (me with flags, or a
// listener's ID), healing dead and lapsed ones on the way.
func (p *pipe) takeEntry(end int, id, me uint64) (int, error) {
	l := p.line(end)
	l.count.Add(1) // before the entry: count never below the truth
	for i := range p.g.holders {
		e := p.entry(end, i)
		old := e.id.Load()
		if old != 0 && !p.heal(end, e, old) {
			continue
		}
		if e.id.CompareAndSwap(0, id) {
			return i, nil
		}
	}
	l.count.Add(-1)
	return 0, p.errs.errorf("end %d: %d holders: %w", end, p.g.holders, ErrTooManyParticipants)
}

// makePending writes a pending entry answered for by id (this process, or
// a listener), lapsing after ttl (0: never), and returns its token.
func (p *pipe) makePending(end int, id uint64, ttl time.Duration) (token, error) {
	me, err := owner.SelfID()
	if err != nil {
		return token{}, err
	}
	i, err := p.takeEntry(end, me|claimingFlag, me)
	if err != nil {
		return token{}, err
	}
	e := p.entry(end, i)
	t := token{idx: i, tok: rand.Uint64() | 1}
	e.token.Store(t.tok)
	var exp int64
	if ttl > 0 {
		exp = time.Now().Add(ttl).UnixNano()
	}
	e.expires.Store(exp)
	e.id.Store(id | pendingFlag) // publishes token and expires
	return t, nil
}

// takePending takes pending entry t of end over for me.
func (p *pipe) takePending(end int, t token, me uint64) bool {
	if t.idx < 0 || t.idx >= p.g.holders {
		return false
	}
	e := p.entry(end, t.idx)
	old := e.id.Load()
	if old&pendingFlag == 0 || e.token.Load() != t.tok {
		return false
	}
	return e.id.CompareAndSwap(old, me)
}

// dropPending frees pending entry t of end (its handle was attached by a
// process that holds the end already).
func (p *pipe) dropPending(end int, t token) {
	if t.idx < 0 || t.idx >= p.g.holders {
		return
	}
	e := p.entry(end, t.idx)
	old := e.id.Load()
	if old&pendingFlag != 0 && e.token.Load() == t.tok && e.id.CompareAndSwap(old, 0) {
		p.line(end).count.Add(-1)
		p.wakeOthers(end)
	}
}

// heal frees entry e (holding old) when its process is dead or it is a
// pending entry past its time, and reports whether it is free now.
func (p *pipe) heal(end int, e *holderEntry, old uint64) bool {
	lapsed := old&pendingFlag != 0 && e.expires.Load() != 0 && time.Now().UnixNano() > e.expires.Load()
	if !lapsed && owner.Alive(old) {
		return false
	}
	if !e.id.CompareAndSwap(old, 0) {
		return e.id.Load() == 0
	}
	l := p.line(end)
	l.count.Add(-1)
	if old&holderFlags == 0 {
		l.deaths.Add(1) // a holder died without closing its end
	}
	return true
}

// live scans end's table, healing what it can, and returns how many
// entries hold the end, and whether every one of them is this process.
func (p *pipe) live(end int) (n int, onlyMe bool) {
	me, _ := owner.SelfID()
	onlyMe = true
	for i := range p.g.holders {
		e := p.entry(end, i)
		old := e.id.Load()
		if old == 0 || p.heal(end, e, old) {
			continue
		}
		n++
		if old&owner.IDMask != me || old&holderFlags != 0 {
			onlyMe = false
		}
	}
	return n, onlyMe
}

// gone returns the error for an end that no process holds any more: a
// died holder makes it ErrPeerDead; else closedErr (io.EOF for a reader).
func (p *pipe) gone(end int, role string, closedErr error) error {
	if d := p.line(end).deaths.Load(); d != 0 {
		return p.errs.errorf("every %s (end %d) is gone, %d died: %w", role, end, d, ErrPeerDead)
	}
	return closedErr
}

// forgetDeaths heals end's table and forgets the deaths it counted.
func (p *pipe) forgetDeaths(end int) {
	p.live(end)
	p.line(end).deaths.Store(0)
}

// describeEnd is "end 0: 2 holders" for shmkit inspect.
func (p *pipe) describeEnd(end int) string {
	n := 0
	for i := range p.g.holders {
		if p.entry(end, i).id.Load() != 0 {
			n++
		}
	}
	d := fmt.Sprintf("end %d: %d holders", end, n)
	if k := p.line(end).deaths.Load(); k != 0 {
		d += fmt.Sprintf(" (%d died)", k)
	}
	return d
}

// The waits of a Ring inside a pipe (see spsc_peer.go): between sleeps
// they scan the other end's holder table, healing dead holders, and end
// once no process holds it.

// writerStuck: a sender waits for room. No reader left: the send fails.
func (d *pipeDir) writerStuck() error {
	if n, _ := d.p.live(d.reader); n == 0 {
		return d.noReaders()
	}
	return nil
}

// readerStuck: a receiver waits for a message. No writer left: what was
// committed is read first, then io.EOF, or ErrPeerDead if a writer died.
func (d *pipeDir) readerStuck(c *consumer) error {
	if n, _ := d.p.live(d.writer); n == 0 {
		if c.r.hdrWord(c.head).Load() != 0 {
			return nil // read what was committed first
		}
		return d.noWriters()
	}
	return nil
}

// slice is the longest sleep of a wait whose peers hold end: long when
// only this process does (nothing to look for), a peer slice otherwise.
func (d *pipeDir) slice(end int) time.Duration {
	if n, onlyMe := d.p.live(end); n > 0 && onlyMe {
		return time.Duration(quietSlice.Load())
	}
	return time.Duration(peerSlice.Load())
}

func (d *pipeDir) noReaders() error {
	return d.p.gone(d.reader, "reader", d.p.errs.errorf("end %d closed by every process that held it: %w", d.reader, os.ErrClosed))
}

func (d *pipeDir) noWriters() error { return d.p.gone(d.writer, "writer", io.EOF) }
