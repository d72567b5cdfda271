//go:build !race

package ring

import (
	"sync/atomic"
	"unsafe"
)

//go:noescape
func storeRelease(addr *uint64, v uint64)

// publish stores v into a position or sequence word with release order.
//
// Why not atomic.Uint64.Store: on amd64 it is an XCHG, a full barrier that
// stalls the writer until the line, which the peer is polling, has been
// taken back from the peer's cache: measured, 80 % of a 64-byte message's
// cost. A plain MOV is already a release store under x86-TSO (earlier
// stores, the payload, become visible first) and lets the writer run on.
// The assembly call is opaque to the compiler, so payload stores are not
// moved past it. What a release store gives up, store→load order, matters
// only to the sleeper check that follows (see waitLine): that check may be
// satisfied by a stale "no sleeper", which the sleeper's short first
// futex timeout repairs.
//
// Race-detector builds use atomic.Store (publish_other.go): the detector
// cannot see an assembly store.
func publish(w *atomic.Uint64, v uint64) {
	storeRelease((*uint64)(unsafe.Pointer(w)), v)
}
