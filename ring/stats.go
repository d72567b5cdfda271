package ring

// Stats are a ring's or queue's counters, kept in shared memory (each side's
// on its own cache line, or each queue participant's on its own) and
// summed here. They count since creation, across every process.
type Stats struct {
	In, Out           uint64 // messages committed, and taken
	BytesIn, BytesOut uint64 // payload bytes committed, and taken
	FullWaits         uint64 // waits for room
	EmptyWaits        uint64 // waits for data
	Sleeps            uint64 // futex sleeps, both sides
	Wakes             uint64 // futex wakes issued, both sides
	DeadSkipped       uint64 // slots of dead producers skipped or of dead consumers freed
	Len, Cap          int    // in use and capacity: bytes for a Ring, slots for a queue
	Closed            bool
}

// Stats returns the ring's counters.
func (r *Ring) Stats() Stats {
	h := r.h
	return Stats{
		In: h.prod.msgs.Load(), Out: h.cons.msgs.Load(),
		BytesIn: h.prod.bytes.Load(), BytesOut: h.cons.bytes.Load(),
		FullWaits: h.prod.waits.Load(), EmptyWaits: h.cons.waits.Load(),
		Sleeps: h.prod.sleeps.Load() + h.cons.sleeps.Load(),
		Wakes:  h.prod.wakes.Load() + h.cons.wakes.Load(),
		Len:    r.Len(), Cap: r.Cap(), Closed: r.Closed(),
	}
}
