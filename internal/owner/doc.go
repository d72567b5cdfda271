// Package owner answers, once for all of shmkit, "which process holds this
// shared word, and is it still alive?".
//
// A process is named in shared memory by its ID: its pid and the low 32
// bits of its start time, packed in one 64-bit word (see id.go). Every word
// that records a holder — a lock, an RWMutex reader slot, an MPMC
// participant entry, a segment's allocator lock, the two ends of an SPSC
// ring — stores an ID, and every package asks Alive here rather than
// judging liveness itself.
//
// The liveness rule is conservative: a holder is dead only when its process
// is gone (or a zombie) or when its pid now names a process with another
// start time. Any other failure to look (EMFILE, EPERM, an unreadable
// /proc) answers "alive or unknown": taking over a live owner breaks mutual
// exclusion and corrupts queues, while waiting a little longer breaks
// nothing.
//
// The package also holds the robust lock word (Lock) that sync's Mutex,
// RLock, RWMutex and Cond, the locked Value and Array, the manager's table
// stripes and the segment allocator share, and the futex sleep/wake helpers
// with self-healing sleeper counts that it and sync's other objects use.
//
// Internal: the layouts here are part of shmkit's shared-memory format.
package owner
