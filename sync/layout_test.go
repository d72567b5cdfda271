package sync

import (
	"testing"
	"unsafe"

	"github.com/shmkit/shmkit/internal/testutil"

	"github.com/shmkit/shmkit/internal/owner"
)

// The layouts are shared with other processes and other builds: these
// numbers may only change with layoutVersion.
func TestLayouts(t *testing.T) {
	testutil.Pins{
		{"owner.Lock", unsafe.Sizeof(owner.Lock{}), LockSize},
		{"owner.Lock.Word", unsafe.Offsetof(owner.Lock{}.Word), 0},
		{"owner.Lock.W", unsafe.Offsetof(owner.Lock{}.W), 8},
		{"waiters", unsafe.Sizeof(owner.Waiters{}), 8},
		{"waiters.Futile", unsafe.Offsetof(owner.Waiters{}.Futile), 4},
		{"mutex", unsafe.Sizeof(mutexLayout{}), 128},
		{"event", unsafe.Sizeof(eventLayout{}), 128},
		{"event.W", unsafe.Offsetof(eventLayout{}.W), 4},
		{"semaphore", unsafe.Sizeof(semLayout{}), 128},
		{"semaphore.W", unsafe.Offsetof(semLayout{}.W), 4},
		{"semaphore.Max", unsafe.Offsetof(semLayout{}.Max), 12},
		{"cond", unsafe.Sizeof(condLayout{}), condSize},
		{"cond.Seq", unsafe.Offsetof(condLayout{}.Seq), 128},
		{"cond.W", unsafe.Offsetof(condLayout{}.W), 132},
		{"cond.Counts", unsafe.Offsetof(condLayout{}.Counts), 144},
		{"barrier header", unsafe.Sizeof(barrierLayout{}), 128},
		{"barrier.W", unsafe.Offsetof(barrierLayout{}.W), 4},
		{"barrier.Parties", unsafe.Offsetof(barrierLayout{}.Parties), 12},
		{"barrier.LastReset", unsafe.Offsetof(barrierLayout{}.LastReset), 16},
		{"rwmutex", unsafe.Sizeof(rwLayout{}), rwSize},
		{"rwmutex.Drain", unsafe.Offsetof(rwLayout{}.Drain), 128},
		{"rwmutex.DrainW", unsafe.Offsetof(rwLayout{}.DrainW), 132},
		{"rwmutex.Readers", unsafe.Offsetof(rwLayout{}.Readers), 256},
		{"rwSize", rwSize, 768},
		{"rlock", unsafe.Sizeof(rlockLayout{}), 128},
		{"rlock.Depth", unsafe.Offsetof(rlockLayout{}.Depth), 16},
	}.Check(t)
}

func TestWordBits(t *testing.T) {
	if owner.PidMask&(owner.StarvingBit|owner.InconsistentBit|owner.NotRecoverable) != 0 {
		t.Fatal("flag bits overlap the pid")
	}
	if owner.IDMask&(owner.StarvingBit|owner.InconsistentBit|owner.NotRecoverable) != 0 {
		t.Fatal("flag bits overlap the id")
	}
	me, err := owner.SelfID()
	if err != nil {
		t.Fatal(err)
	}
	if !owner.Alive(me) || owner.Alive(me^owner.PidMask) == owner.Alive(me) && owner.Pid(me^owner.PidMask) == 0 {
		t.Fatal("selfID not alive")
	}
}
