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
