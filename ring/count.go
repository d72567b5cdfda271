package ring

import "sync/atomic"

// count adds n to a counter in shared memory that only the caller's side
// (or participant entry) writes: a load and a release store, no locked
// instruction. An atomic Add or Store here would be a full barrier that
// waits for the message's publication store to leave the store buffer,
// which is the wait publish exists to avoid.
func count(w *atomic.Uint64, n uint64) { publish(w, w.Load()+n) }
