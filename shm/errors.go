package shm

import "errors"

// Sentinel errors. Every error shmkit returns about a segment wraps one of
// these, or one of os.ErrExist, os.ErrNotExist, os.ErrInvalid, os.ErrClosed
// and errors.ErrUnsupported, so callers test with errors.Is.
var (
	// ErrNotShmkit: the file or memory is not a shmkit segment (no magic).
	ErrNotShmkit = errors.New("not a shmkit segment")
	// ErrVersion: a shmkit segment of a layout version this build cannot read.
	ErrVersion = errors.New("unsupported shmkit layout version")
	// ErrCorrupt: a shmkit segment whose header or directory is inconsistent.
	ErrCorrupt = errors.New("corrupt shmkit segment")
	// ErrNoSpace: /dev/shm (or memory) has too little room for the segment.
	ErrNoSpace = errors.New("not enough shared memory")
	// ErrFull: no room left in shared memory for what was asked: the
	// segment for another object, or an object's own space (a dict's
	// table: manager's ErrFull is this value). A bounded queue at its
	// capacity is another meaning (ring.ErrFull, Python's queue.Full: it
	// passes as items are taken).
	ErrFull = errors.New("no room left")
	// ErrWrongKind: a handle or name refers to an object of another kind or
	// layout version than the caller expects (a Queue handle given to Mutex).
	ErrWrongKind = errors.New("object of the wrong kind")
)
