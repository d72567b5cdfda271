package manager

import (
	"github.com/shmkit/shmkit/manager/remote"
	"github.com/shmkit/shmkit/manager/table"
)

// Sentinel errors. Errors from this package wrap one of these, or a
// context error, os.ErrClosed, os.ErrNotExist or os.ErrExist; test with
// errors.Is. They are the values of packages table and remote under the
// same names (so errors.Is works with either), and remote calls carry
// them across the wire: a remote ErrFull is errors.Is(err, ErrFull) on
// the client.
var (
	// ErrFull: the table has no room for the entry (entry capacity or
	// arena bytes). The table is unchanged.
	ErrFull = table.ErrFull
	// ErrTooLarge: a key or value over the table's maxima, or a frame over
	// the protocol's limit.
	ErrTooLarge = table.ErrTooLarge
	// ErrCorrupt: the table in shared memory is inconsistent (a hostile or
	// broken writer). It is shm.ErrCorrupt, so errors.Is works with either.
	ErrCorrupt = table.ErrCorrupt
	// ErrAuth: the remote peer failed the HMAC challenge (wrong key), or
	// is not a shmkit manager.
	ErrAuth = remote.ErrAuth
	// ErrProtocol: a malformed frame or an unknown request.
	ErrProtocol = remote.ErrProtocol
	// ErrNotFound: a List index out of range, a value not in a List or
	// Set, a Pop from an empty List or Set (Python's IndexError, ValueError
	// and KeyError).
	ErrNotFound = table.ErrNotFound
	// ErrMethod: a registered type's method returned an error (see
	// Server.Register).
	ErrMethod = remote.ErrMethod
)
