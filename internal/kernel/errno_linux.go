//go:build linux

package kernel

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// errnoErr turns a raw errno into an error that errors.Is matches against
// the syscall.Errno and the os/fs sentinels it maps to.
func errnoErr(op string, errno unix.Errno) error {
	return fmt.Errorf("%s: %w", op, errno)
}
