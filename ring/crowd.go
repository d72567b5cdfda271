package ring

import (
	"runtime"
	"time"

	"github.com/shmkit/shmkit/internal/kernel"
)

// ---- crowded waits ----
//
// A spinning wait keeps its core. When a queue has more participant
// processes than the machine has CPUs (the 2 × 2 fanin on two cores), the
// peer it waits for is often runnable and waiting for that very core, so
// the spin only delays what it waits for. Such a wait gives its core back
// (sched_yield) every 256 checks while it spins. Measured on the 2-core
// VM, fanin 2 × 2 of 64 B messages, `shmkit bench --quick --only fanin`
// three times interleaved: spin 10.0-10.1 M msgs/s and blocking
// 10.4-12.0 against 7.0-8.7 and 9.0-9.5 without; in a slower regime of
// the host (`--rounds 3`, twice each) 5.4-5.6 and 5.9 against 3.5-5.9
// and 5.1-11.6. A yield in every wait, crowded or not, cost the blocking
// round trip's p99 (0.3-0.7 µs to 18-35 µs: the yield loses the core to
// whatever else is runnable), so only crowded queues yield, and a queue
// between two processes on two CPUs never is.

// crowder is a waitCond that can tell whether its object is crowded.
type crowder interface {
	crowded() bool
}

// crowdEvery: how long a queue's crowding verdict is kept (the count reads
// every participant entry, a line each).
const crowdEvery = 10 * time.Millisecond

// crowded reports whether more processes take part in q than there are
// CPUs, counting the distinct owners of its participant entries; the
// verdict is cached for crowdEvery.
func (q *MPMC) crowded() bool {
	now := time.Now().UnixNano()
	if c := q.crowd.Load(); c != 0 && now-c>>1 < int64(crowdEvery) {
		return c&1 != 0
	}
	v := q.countOwners(runtime.NumCPU()+1) > runtime.NumCPU()
	c := now << 1
	if v {
		c |= 1
	}
	q.crowd.Store(c)
	return v
}

// countOwners counts the distinct processes owning participant entries,
// up to max.
func (q *MPMC) countOwners(max int) int {
	seen := make([]uint64, 0, 8)
	for i := range int(q.h.parts) {
		id := q.entry(i).id.Load()
		if id == 0 || containsID(seen, id) {
			continue
		}
		if seen = append(seen, id); len(seen) >= max {
			break
		}
	}
	return len(seen)
}

func containsID(ids []uint64, id uint64) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// yieldCore gives this thread's CPU to another runnable thread, if any.
func yieldCore() { kernel.Yield() }
