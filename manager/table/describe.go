package table

import (
	"fmt"
	"sync/atomic"

	"github.com/shmkit/shmkit/shm"
)

func init() {
	shm.RegisterKind(shm.KindDict, "dict", describeTable)
	shm.RegisterKind(shm.KindNamespace, "namespace", describeTable)
	shm.RegisterKind(shm.KindList, "list", describeTable)
	shm.RegisterKind(KindSet, "set", describeTable)
}

// describeTable is the one-line state for shmkit inspect: "42 entries
// (max 1024), 3.1 KiB used of 1.0 MiB". It reads only through newTable's
// checks and bounded loops.
func describeTable(o *shm.Object) string {
	t, err := newTable(o)
	if err != nil {
		return err.Error()
	}
	s := t.stats()
	desc := fmt.Sprintf("%d entries (max %d), %s used of %s", s.Entries, s.MaxEntries,
		shm.FormatBytes(uint64(s.UsedBytes)), shm.FormatBytes(uint64(s.ArenaBytes)))
	if atomic.LoadUint32(u32(t.b, dirtyOff)) != 0 {
		desc += ", a holder died since the last reclaim"
	}
	return desc
}

func (t *table) stats() Stats {
	var n, used uint64
	for i := range t.l.stripes {
		s := t.stripe(i)
		n += atomic.LoadUint64(&s.Count)
		used += atomic.LoadUint64(&s.Bytes)
	}
	carved := min(atomic.LoadUint64(u64(t.b, cursorOff)), t.l.arenaSize)
	return Stats{
		Entries: int(min(n, t.l.entries)), MaxEntries: int(t.l.entries),
		UsedBytes: int(min(used, t.l.arenaSize)), CarvedBytes: int(carved), ArenaBytes: int(t.l.arenaSize),
	}
}
