//go:build race

package sync

import (
	gosync "sync"
	"sync/atomic"
	"unsafe"
)

// The race detector sees no happens-before edge through atomics on
// memory it does not track, and mapped shared memory is such memory: Go
// data protected by a shmkit lock would look racy. In race builds each
// release also adds to a heap word keyed by the object's address, and each
// acquire loads it: the detector sees the edge. Between processes there is
// no detector to inform.
var raceWords gosync.Map // uintptr -> *atomic.Uint64

func raceWord(addr unsafe.Pointer) *atomic.Uint64 {
	w, ok := raceWords.Load(uintptr(addr))
	if !ok {
		w, _ = raceWords.LoadOrStore(uintptr(addr), new(atomic.Uint64))
	}
	return w.(*atomic.Uint64)
}

func raceRelease[T any](p *T) { raceWord(unsafe.Pointer(p)).Add(1) }
func raceAcquire[T any](p *T) { raceWord(unsafe.Pointer(p)).Load() }
