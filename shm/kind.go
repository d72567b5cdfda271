package shm

import (
	"fmt"
	"sync"
)

// Kind tags an object in a segment's directory, so that attaching a handle
// to the wrong type is an error instead of a misread. The values are part
// of the on-disk layout: never renumber one.
type Kind uint32

// Kinds of every shmkit object, in one place so packages cannot collide.
const (
	KindBytes     Kind = 1 // raw bytes from Segment.Alloc
	KindMutex     Kind = 16
	KindRWMutex   Kind = 17
	KindSemaphore Kind = 18
	KindCond      Kind = 19
	KindEvent     Kind = 20
	KindBarrier   Kind = 21
	KindRLock     Kind = 22
	KindValue     Kind = 32
	KindArray     Kind = 33
	KindRing      Kind = 48 // ring: SPSC byte ring
	KindQueue     Kind = 49 // ring: MPMC queue
	KindPipe      Kind = 50 // ring: Pipe (two rings)
	KindDict      Kind = 64
	KindList      Kind = 65
	KindNamespace Kind = 66
	KindSet       Kind = 67
	KindPool      Kind = 80
	KindUser      Kind = 1 << 16 // first kind free for users' own objects
)

type kindInfo struct {
	name     string
	describe func(*Object) string
}

var kinds = struct {
	sync.RWMutex
	m map[Kind]kindInfo
}{m: map[Kind]kindInfo{KindBytes: {name: "bytes"}}}

// RegisterKind names a kind and, optionally, gives a function that
// describes an object's live state in one line (for shmkit inspect). The
// describer reads shared memory that may be corrupt: it must bounds-check
// and must not block. Packages call it from init.
func RegisterKind(k Kind, name string, describe func(*Object) string) {
	kinds.Lock()
	defer kinds.Unlock()
	kinds.m[k] = kindInfo{name: name, describe: describe}
}

// String returns the registered name of k, or "kind(N)".
func (k Kind) String() string {
	kinds.RLock()
	defer kinds.RUnlock()
	if ki, ok := kinds.m[k]; ok {
		return ki.name
	}
	return fmt.Sprintf("kind(%d)", uint32(k))
}

// Describe returns the live state of o as its kind's describer tells it,
// or "" when the kind has none. A describer that panics on hostile memory
// is a bug; Describe still turns that panic into a message.
func Describe(o *Object) (s string) {
	kinds.RLock()
	ki := kinds.m[o.Kind()]
	kinds.RUnlock()
	if ki.describe == nil {
		return ""
	}
	defer func() {
		if r := recover(); r != nil {
			s = fmt.Sprintf("unreadable state: %v", r)
		}
	}()
	return ki.describe(o)
}
