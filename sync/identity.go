package sync

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
//	bits 24..31  flags of the word that holds the id (see lockword.go)
//	bits 32..63  start time, low 32 bits
//
// The start time tells a reused pid from the process that held it: a new
// process with the same pid must also have started exactly k*2^32 ticks
// later (497 days at 100 Hz) to be confused with it.
const (
	pidBits  = 24
	pidMask  = 1<<pidBits - 1
	idMask   = 0xFFFFFFFF_00000000 | pidMask // pid and start, no flags
	maxPid   = pidMask
	startOff = 32
)

// selfID returns this process's packed id. Children started by re-exec are
// new processes and compute their own.
func selfID() (uint64, error) {
	pid, start := kernel.Self()
	if pid <= 0 || pid > maxPid {
		return 0, fmt.Errorf("pid %d does not fit the lock word's %d bits: %w", pid, pidBits, os.ErrInvalid)
	}
	return uint64(uint32(start))<<startOff | uint64(pid), nil
}

func idPid(id uint64) int { return int(id & pidMask) }

// alive reports whether the process named by id (flags ignored) still runs.
// This process is alive; an earlier holder of its pid is not. When /proc cannot say, the answer is
// "alive": taking over the lock of a live owner would break mutual
// exclusion, while waiting a little longer breaks nothing.
func alive(id uint64) bool {
	pid := idPid(id)
	if pid == 0 {
		return false
	}
	me, start := kernel.Self()
	if pid == me {
		// This process, or an earlier one that had its pid: that one is
		// gone, since the pid is ours now.
		return uint32(start) == uint32(id>>startOff)
	}
	st, err := kernel.StartTime(pid)
	if err != nil {
		return !errors.Is(err, os.ErrNotExist) && !errors.Is(err, os.ErrProcessDone)
	}
	return uint32(st) == uint32(id>>startOff)
}

// describeOwner is "pid 123 (alive)" or "pid 123 (dead)" for describers.
func describeOwner(id uint64) string {
	state := "alive"
	if !alive(id) {
		state = "dead"
	}
	return fmt.Sprintf("pid %d (%s)", idPid(id), state)
}
