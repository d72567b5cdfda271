package ring

import (
	"errors"
	"fmt"
	"os"
)

// Sentinel errors. Every error of this package wraps one of these, or one of
// os.ErrClosed (writing to a closed ring), io.EOF (reading a closed and
// drained ring), io.ErrShortBuffer, os.ErrInvalid, shm.ErrCorrupt (hostile or
// damaged shared memory) and the context errors, so callers test with
// errors.Is. The errors name the object they are about: `queue "jobs"
// closed`, `pipe "p" end 0 closed`.
var (
	// ErrTooLarge: a message larger than the ring or queue can ever hold.
	// It is returned up front, before anything is reserved.
	ErrTooLarge = errors.New("message too large")
	// ErrFull: a Try call found no room: the ring or queue is at its
	// capacity (Python's queue.Full), which passes as items are taken.
	// Not shm.ErrFull, which says shared memory has no room for a new
	// object or entry.
	ErrFull = errors.New("ring full")
	// ErrEmpty: a Try call found nothing to read.
	ErrEmpty = errors.New("ring empty")
	// ErrTooManyParticipants: every entry of an MPMC queue's participant
	// table (or of a pipe end's holder table) is held by a live process
	// (see Options.Participants).
	ErrTooManyParticipants = errors.New("queue participant table full")
	// ErrTaskDone: TaskDone called more times than items were put.
	ErrTaskDone = errors.New("task_done called too many times")
	// ErrPeerDead: the process at the other end of a Ring (or of a
	// Pipe's direction) died: a reader gets it once it has read every
	// record the writer committed, a writer once it must wait for room.
	// It stays so until another process takes over the dead end (see
	// Ring.ForgetDeadPeers).
	ErrPeerDead = errors.New("peer process died")
	// ErrShutdown: the queue (or pipe) was shut down for every process
	// (Python's queue.ShutDown): puts fail at once; gets drain what is
	// left, then fail, or fail at once after Shutdown(true). Errors that
	// wrap it wrap os.ErrClosed too.
	ErrShutdown = errors.New("shut down")
)

// objError is an error about one object, worded for it (`queue "jobs"
// closed`) and wrapping the sentinels errors.Is looks for. The errors a
// Try call returns on a hot path are made once per handle (see objErrors).
type objError struct {
	msg  string
	errs []error
}

func (e *objError) Error() string   { return e.msg }
func (e *objError) Unwrap() []error { return e.errs }

func newObjError(msg string, errs ...error) error { return &objError{msg, errs} }

// objErrors are one handle's preallocated errors, named after its object:
// what is `queue "jobs"`, `ring "r"` or `pipe "p"`.
type objErrors struct {
	what                    string
	closed, shut, full, emp error
}

func newObjErrors(what string) objErrors {
	return objErrors{
		what:   what,
		closed: newObjError(what+" closed", os.ErrClosed),
		shut:   newObjError(what+" shut down", ErrShutdown, os.ErrClosed),
		full:   newObjError(what+" full", ErrFull),
		emp:    newObjError(what+" empty", ErrEmpty),
	}
}

// errorf is "what: format: %w", for the errors that are not on a hot path.
func (o *objErrors) errorf(format string, args ...any) error {
	return fmt.Errorf(o.what+": "+format, args...)
}

// allocError words a failed creation: `queue "jobs" already exists`
// rather than shm's `object "jobs": file already exists`.
func allocError(kind, name string, err error) error {
	if errors.Is(err, os.ErrExist) {
		return newObjError(fmt.Sprintf("%s %q already exists", kind, name), err)
	}
	return fmt.Errorf("%s %q: %w", kind, name, err)
}
