//go:build !linux

package kernel

import "os"

// IsTerminal reports false off Linux: callers then write plain lines.
func IsTerminal(f *os.File) bool { return false }

// KeysMode is not supported off Linux.
func KeysMode(f *os.File) (restore func() error, err error) { return nil, ErrUnsupported }

// TermSize is not supported off Linux.
func TermSize(f *os.File) (cols, rows int, err error) { return 0, 0, ErrUnsupported }
