package kernel

import "errors"

// Preallocated results of a futex wait, so the hot path allocates nothing.
var (
	// ErrTimeout: the wait's timeout elapsed before a wake.
	ErrTimeout = errors.New("futex wait timed out")
	// ErrUnsupported is returned by every call on systems other than Linux.
	ErrUnsupported = errUnsupported()
)

func errUnsupported() error {
	return &unsupported{}
}

type unsupported struct{}

func (*unsupported) Error() string        { return "shmkit: only Linux is supported" }
func (*unsupported) Is(target error) bool { return target == errors.ErrUnsupported }
