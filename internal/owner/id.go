package owner

import (
	"errors"
	"fmt"
	"os"

	"github.com/shmkit/shmkit/internal/kernel"
)

// A process is named in shared memory by its pid and the low 32 bits of its
// start time (clock ticks since boot), packed in 64 bits:
//
//	bits  0..23  pid (Linux caps pids at 2^22)
//	bits 24..31  flags of the word that holds the id (see lock.go); an ID
//	             itself has them zero
//	bits 32..63  start time, low 32 bits
//
// The start time tells a reused pid from the process that held it: a new
// process with the same pid must also have started exactly k*2^32 ticks
// later (497 days at 100 Hz) to be confused with it. A word that holds an
// ID is written with one 64-bit store or CAS, so a reader never sees a pid
// without its start time.
const (
	PidBits = 24
	// PidMask selects the pid of a word; a word whose pid is 0 names no one.
	PidMask = 1<<PidBits - 1
	// IDMask selects pid and start time, dropping the flag bits.
	IDMask = 0xFFFFFFFF_00000000 | PidMask
	// StartShift is where the start time sits in an ID.
	StartShift = 32
)

// Make packs pid and start time (the full tick count, of which the low 32
// bits are kept) into an ID. A pid that does not fit is an error.
func Make(pid int, start uint64) (uint64, error) {
	if pid <= 0 || pid > PidMask {
		return 0, fmt.Errorf("pid %d does not fit an owner word's %d bits: %w", pid, PidBits, os.ErrInvalid)
	}
	return uint64(uint32(start))<<StartShift | uint64(pid), nil
}

// SelfID returns this process's ID. Children started by re-exec are new
// processes and compute their own.
func SelfID() (uint64, error) {
	pid, start := kernel.Self()
	return Make(pid, start)
}

// Pid is the pid of an ID or of a word holding one (0: no one).
func Pid(id uint64) int { return int(id & PidMask) }

// Alive reports whether the process named by id (flag bits ignored) still
// runs. An id with pid 0 names no one and is not alive. This process is
// alive; an earlier holder of its pid is not. When the kernel cannot say,
// the answer is "alive" (see the package doc).
func Alive(id uint64) bool {
	pid := Pid(id)
	if pid == 0 {
		return false
	}
	me, start := kernel.Self()
	if pid == me {
		// This process, or an earlier one that had its pid: that one is
		// gone, since the pid is ours now.
		return uint32(start) == uint32(id>>StartShift)
	}
	// kill(pid, 0) needs no file descriptor: under EMFILE it still tells a
	// vanished process.
	if exists, err := kernel.ProcessExists(pid); err == nil && !exists {
		return false
	}
	st, err := kernel.StartTime(pid)
	if err != nil {
		// Gone between the two looks, or a zombie: dead. Anything else
		// (EMFILE, EPERM, a /proc we cannot parse): alive or unknown.
		return !errors.Is(err, os.ErrNotExist) && !errors.Is(err, os.ErrProcessDone)
	}
	return uint32(st) == uint32(id>>StartShift)
}

// AlivePid is Alive for a pid and a full start time read from elsewhere (a
// segment header). A pid that cannot be packed is not alive.
func AlivePid(pid int, start uint64) bool {
	id, err := Make(pid, start)
	return err == nil && Alive(id)
}

// Describe is "pid 123 (alive)" or "pid 123 (dead)", for describers and
// error messages.
func Describe(id uint64) string {
	state := "alive"
	if !Alive(id) {
		state = "dead"
	}
	return fmt.Sprintf("pid %d (%s)", Pid(id), state)
}

// PidAlive is the rule for a word or a name that records a bare pid (a
// temporary file named after its creator): dead only when no process has
// that pid. A reused pid keeps it alive, which errs on the safe side.
func PidAlive(pid int) bool {
	if pid <= 0 {
		return false
	}
	exists, err := kernel.ProcessExists(pid)
	return exists || err != nil
}
