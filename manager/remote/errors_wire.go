package remote

import "github.com/shmkit/shmkit/internal/wire"

// This package's sentinels arrive in a parent as themselves when a child's
// task returns them (see process.RegisterError): errors.Is works across
// processes. A new sentinel of the package goes in this list.
func init() {
	for _, err := range []error{ErrAuth, ErrProtocol, ErrMethod} {
		wire.RegisterError(err)
	}
}
