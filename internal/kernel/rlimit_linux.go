//go:build linux

package kernel

import (
	"fmt"

	"golang.org/x/sys/unix"
)

// SetOpenFileLimit sets this process's soft limit on open descriptors
// (RLIMIT_NOFILE) to n, or to the hard limit when n is above it, and
// returns the soft limit it replaced. Processes started afterwards inherit
// the new limit (the Go runtime no longer restores the one it found at
// start). Tests use it to make accept fail with EMFILE.
func SetOpenFileLimit(n uint64) (prev uint64, err error) {
	var lim unix.Rlimit
	if err := unix.Getrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		return 0, fmt.Errorf("getrlimit(RLIMIT_NOFILE): %w", err)
	}
	prev = lim.Cur
	lim.Cur = min(n, lim.Max)
	if err := unix.Setrlimit(unix.RLIMIT_NOFILE, &lim); err != nil {
		return prev, fmt.Errorf("setrlimit(RLIMIT_NOFILE, %d): %w", lim.Cur, err)
	}
	return prev, nil
}
