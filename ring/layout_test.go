package ring

import (
	"testing"
	"unsafe"

	"github.com/shmkit/shmkit/internal/testutil"
)

// The shared layouts are part of the format: pin them.
func TestLayout(t *testing.T) {
	testutil.Pins{
		{"ringHdr", unsafe.Sizeof(ringHdr{}), 896},
		{"ringHdr.prodPos", unsafe.Offsetof(ringHdr{}.prodPos), 128},
		{"ringHdr.consPos", unsafe.Offsetof(ringHdr{}.consPos), 256},
		{"ringHdr.prod", unsafe.Offsetof(ringHdr{}.prod), 640},
		{"ringHdr.cons", unsafe.Offsetof(ringHdr{}.cons), 768},
		{"posLine", unsafe.Sizeof(posLine{}), 128},
		{"ringHdr.dataWait", unsafe.Offsetof(ringHdr{}.dataWait), 384},
		{"ringHdr.spaceWait", unsafe.Offsetof(ringHdr{}.spaceWait), 512},
		{"ringHdr.closed", unsafe.Offsetof(ringHdr{}.closed), 20},
		{"sideLine", unsafe.Sizeof(sideLine{}), 128},
		{"sideLine.owner", unsafe.Offsetof(sideLine{}.owner), 40},
		{"waitLine", unsafe.Sizeof(waitLine{}), 128},
		{"queueHdr", unsafe.Sizeof(queueHdr{}), 896},
		{"queueHdr.enq", unsafe.Offsetof(queueHdr{}.enq), 128},
		{"queueHdr.deq", unsafe.Offsetof(queueHdr{}.deq), 256},
		{"queueHdr.dataWait", unsafe.Offsetof(queueHdr{}.dataWait), 384},
		{"queueHdr.spaceWait", unsafe.Offsetof(queueHdr{}.spaceWait), 512},
		{"queueHdr.unfinished", unsafe.Offsetof(queueHdr{}.unfinished), 640},
		{"queueHdr.joinWait", unsafe.Offsetof(queueHdr{}.joinWait), 768},
		{"queueHdr.closed", unsafe.Offsetof(queueHdr{}.closed), 36},
		{"queueHdr.limit", unsafe.Offsetof(queueHdr{}.limit), 40},
		{"queueHdr.sig", unsafe.Offsetof(queueHdr{}.sig), 48},
		{"queueHdr.owner", unsafe.Offsetof(queueHdr{}.owner), 56},
		{"queueHdr.connCap", unsafe.Offsetof(queueHdr{}.connCap), 64},
		{"partEntry", unsafe.Sizeof(partEntry{}), 128},
		{"partEntry.pPos", unsafe.Offsetof(partEntry{}.pPos), 16},
		{"partEntry.cPos", unsafe.Offsetof(partEntry{}.cPos), 32},
		{"pipeHdr", unsafe.Sizeof(pipeHdr{}), 896},
		{"pipeHdr.holders", unsafe.Offsetof(pipeHdr{}.holders), 12},
		{"pipeHdr.capacity", unsafe.Offsetof(pipeHdr{}.capacity), 16},
		{"pipeHdr.locks", unsafe.Offsetof(pipeHdr{}.locks), 128},
		{"pipeHdr.ends", unsafe.Offsetof(pipeHdr{}.ends), 640},
		{"lockLine", unsafe.Sizeof(lockLine{}), 128},
		{"endLine", unsafe.Sizeof(endLine{}), 128},
		{"endLine.deaths", unsafe.Offsetof(endLine{}.deaths), 8},
		{"holderEntry", unsafe.Sizeof(holderEntry{}), 32},
		{"holderEntry.token", unsafe.Offsetof(holderEntry{}.token), 8},
		{"holderEntry.expires", unsafe.Offsetof(holderEntry{}.expires), 16},
	}.Check(t)
}

// TestRingSidesApart: a handle's producer and consumer state, each stored
// by its own goroutine at every call, share no cache line with each other
// or with the fields both sides read.
func TestRingSidesApart(t *testing.T) {
	var r Ring
	pStart, pEnd := unsafe.Offsetof(r.p), unsafe.Offsetof(r.p)+unsafe.Sizeof(r.p)
	cStart, cEnd := unsafe.Offsetof(r.c), unsafe.Offsetof(r.c)+unsafe.Sizeof(r.c)
	shared := unsafe.Offsetof(r.mode) + unsafe.Sizeof(r.mode)
	if pStart-shared < lineSize || cStart-pEnd < lineSize || unsafe.Offsetof(r.errs)-cEnd < lineSize {
		t.Fatalf("Ring sides too close: shared fields end at %d, producer %d-%d, consumer %d-%d, errs at %d (want %d bytes between)",
			shared, pStart, pEnd, cStart, cEnd, unsafe.Offsetof(r.errs), lineSize)
	}
}
