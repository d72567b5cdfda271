package ring

import "encoding/binary"

// Rescue: repairing claims whose owner died. A claim is a run of positions
// named in a participant entry's intent before the CAS that took it, so a
// participant that sees enq (or deq) past a position also sees the intent
// of whoever claimed it (the intent store precedes the claiming CAS, a
// locked instruction on amd64 and sequentially consistent elsewhere). The claim is
// orphaned when no live entry's intent covers it; every intent covering it
// then names the same run (a loser of the CAS names the same positions as
// the winner), which the rescuer repairs:
//
//   - a producer's orphan (claimed, never committed): the rescuer takes the
//     first slot with a CAS from "free for p" to rescueBit|p, so only one
//     rescuer writes, and never into a slot of a later lap; writes a
//     tombstone (length tombLen, the dead claim's span); commits the
//     continuation slots, then the first. Consumers take the tombstone
//     like a message and drop it.
//   - a consumer's orphan (taken, never released): the rescuer frees each
//     slot with a CAS from "committed for p" to "released", which fails
//     harmlessly on a slot already freed or reused. The message is lost.
//
// A rescuer killed while it holds rescueBit leaves that slot stuck (known
// limit; the window is a few stores long).

// cover scans the participant table for an intent covering position x
// (producer intents when prod, else consumer intents). It reports whether a
// live participant holds one, and else the run of a dead one.
func (q *MPMC) cover(x uint64, prod bool) (live bool, pos, span uint64, found bool) {
	for i := range q.nparts {
		e := q.entry(i)
		var p, s uint64
		var ok bool
		if prod {
			p, s, ok = readIntent(&e.pPos, &e.pSpan)
		} else {
			p, s, ok = readIntent(&e.cPos, &e.cSpan)
		}
		if !ok || s == 0 || s > q.nslots || p > x || x-p >= s {
			continue
		}
		// Intent first, identity second: see claimEntry.
		if e.alive() {
			return true, 0, 0, false
		}
		pos, span, found = p, s, true
	}
	return false, pos, span, found
}

// rescueProducerAt repairs position x if a dead producer claimed it and
// never committed. It reports whether it wrote a tombstone.
func (q *MPMC) rescueProducerAt(x uint64, me *partEntry) bool {
	if q.h.enq.Load() <= x || q.seq(x).Load() != x {
		return false
	}
	live, p, s, found := q.cover(x, true)
	if live || !found {
		return false
	}
	return q.tombstone(p, s, me)
}

func (q *MPMC) rescueProducer(p, s uint64) {
	if s >= 1 && s <= q.nslots {
		q.rescueProducerAt(p, nil)
	}
}

// tombstone commits a dead producer's claim of s slots at p as a message
// consumers skip.
func (q *MPMC) tombstone(p, s uint64, me *partEntry) bool {
	first := q.seq(p)
	if !first.CompareAndSwap(p, p|rescueBit) {
		return false
	}
	sl := q.slot(p)
	binary.LittleEndian.PutUint32(sl[8:], tombLen)
	binary.LittleEndian.PutUint32(sl[12:], uint32(s))
	for i := uint64(1); i < s; i++ {
		q.seq(p + i).Store(p + i + 1)
	}
	first.Store(p + 1)
	if me != nil {
		count(&me.skipped, 1)
	}
	q.h.dataWait.wake()
	return true
}

// rescueConsumerAt frees the slots of a message at position y (committed,
// so its slot's seq is y+1) that a dead consumer took and never released.
func (q *MPMC) rescueConsumerAt(y uint64, me *partEntry) bool {
	if q.h.deq.Load() <= y || q.seq(y).Load() != y+1 {
		return false
	}
	live, p, s, found := q.cover(y, false)
	if live || !found {
		return false
	}
	freed := false
	for i := range s {
		if q.seq(p+i).CompareAndSwap(p+i+1, p+i+q.nslots) {
			freed = true
		}
	}
	if freed {
		if me != nil {
			count(&me.skipped, 1)
		}
		q.h.spaceWait.wake()
	}
	return freed
}

func (q *MPMC) rescueConsumer(p, s uint64) {
	if s >= 1 && s <= q.nslots {
		q.rescueConsumerAt(p, nil)
	}
}
