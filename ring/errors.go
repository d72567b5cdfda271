package ring

import "errors"

// Sentinel errors. Every error of this package wraps one of these, or one of
// os.ErrClosed (writing to a closed ring), io.EOF (reading a closed and
// drained ring), io.ErrShortBuffer, os.ErrInvalid, shm.ErrCorrupt (hostile or
// damaged shared memory) and the context errors, so callers test with
// errors.Is.
var (
	// ErrTooLarge: a message larger than the ring or queue can ever hold.
	// It is returned up front, before anything is reserved.
	ErrTooLarge = errors.New("message too large for the ring")
	// ErrFull: a Try call found no room: the ring or queue is at its
	// capacity (Python's queue.Full), which passes as items are taken.
	// Not shm.ErrFull, which says shared memory has no room for a new
	// object or entry.
	ErrFull = errors.New("ring full")
	// ErrEmpty: a Try call found nothing to read.
	ErrEmpty = errors.New("ring empty")
	// ErrTooManyParticipants: every entry of an MPMC queue's participant
	// table is held by a live process (see Options.Participants).
	ErrTooManyParticipants = errors.New("queue participant table full")
	// ErrTaskDone: TaskDone called more times than items were put.
	ErrTaskDone = errors.New("task_done called too many times")
	// ErrPeerDead: the process at the other end of a Ring (or of a
	// Pipe's direction) died: a reader gets it once it has read every
	// record the writer committed, a writer once it must wait for room.
	// It stays so until another process takes over the dead end (see
	// Ring.ForgetDeadPeers).
	ErrPeerDead = errors.New("peer process died")
)
