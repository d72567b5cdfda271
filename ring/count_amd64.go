//go:build !race

package ring

import (
	"sync/atomic"
	"unsafe"
)

// count adds n to a counter in shared memory that only the caller's side
// (or participant entry) writes: a load and a plain store, inlined. An
// atomic Add or Store here would be a full barrier that waits for the
// message's publication store to leave the store buffer, which is the wait
// publish exists to avoid. The order of counter stores does not matter, and
// an aligned 8-byte MOV is never torn for Stats' atomic loads.
func count(w *atomic.Uint64, n uint64) {
	*(*uint64)(unsafe.Pointer(w)) = w.Load() + n
}
