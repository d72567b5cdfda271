//go:build linux

package kernel

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// DupTo makes descriptor fd refer to what f refers to (dup3), closing what
// fd referred to before; fd is left inheritable across exec, as standard
// input, output and error must be. f is unchanged and still the caller's.
func DupTo(f *os.File, fd int) error {
	return withFD(f, func(old int) error {
		if old == fd {
			return nil
		}
		for {
			err := unix.Dup3(old, fd, 0)
			if err == unix.EINTR {
				continue
			}
			if err != nil {
				return fmt.Errorf("dup3 to %d: %w", fd, err)
			}
			return nil
		}
	})
}

// NonblockFile returns an *os.File for descriptor fd, made non-blocking
// first, so that its reads and writes park in Go's netpoller instead of
// holding a thread (a goroutine that waits on it costs no thread). The
// mode is a property of the open file description: fd must be one no
// other process shares, such as a child's end of a pipe or socket pair.
func NonblockFile(fd uintptr, name string) (*os.File, error) {
	if err := unix.SetNonblock(int(fd), true); err != nil {
		return nil, fmt.Errorf("set descriptor %d non-blocking: %w", fd, err)
	}
	return os.NewFile(fd, name), nil
}
