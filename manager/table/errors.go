package table

import (
	"errors"

	"github.com/shmkit/shmkit/shm"
)

// Sentinel errors. Errors from this package wrap one of these, or a
// context error, os.ErrNotExist, os.ErrExist, os.ErrInvalid or
// shm.ErrWrongKind; test with errors.Is. Package manager exports the same
// values under the same names, and package remote carries them across the
// wire: a remote ErrFull is errors.Is(err, ErrFull) on the client.
var (
	// ErrFull: the table has no room for the entry (entry capacity or
	// arena bytes). The table is unchanged. It is shm.ErrFull (no room
	// left in shared memory), so errors.Is works with either.
	ErrFull = shm.ErrFull
	// ErrTooLarge: a key or value over the table's maxima (package remote
	// also returns it for a frame over the protocol's limit).
	ErrTooLarge = errors.New("key or value too large")
	// ErrCorrupt: the table in shared memory is inconsistent (a hostile or
	// broken writer). It is shm.ErrCorrupt, so errors.Is works with either.
	ErrCorrupt = shm.ErrCorrupt
	// ErrNotFound: a List index, or a Pop from an empty List, found
	// nothing.
	ErrNotFound = errors.New("not found")
)
