package shm

import (
	"fmt"
	"os"
	"strings"
)

// MaxNameLen bounds segment names (a file name in /dev/shm).
const MaxNameLen = 200

// cleanName validates a segment name and returns it without the optional
// leading slash that POSIX shm_open and Python's SharedMemory also accept.
func cleanName(name string) (string, error) {
	n := strings.TrimPrefix(name, "/")
	switch {
	case n == "":
		return "", fmt.Errorf("segment name %q: empty: %w", name, os.ErrInvalid)
	case len(n) > MaxNameLen:
		return "", fmt.Errorf("segment name of %d bytes: longer than %d: %w", len(n), MaxNameLen, os.ErrInvalid)
	case n == "." || n == "..":
		return "", fmt.Errorf("segment name %q: %w", name, os.ErrInvalid)
	case strings.HasPrefix(n, tmpPrefix):
		return "", fmt.Errorf("segment name %q: prefix %q is reserved: %w", name, tmpPrefix, os.ErrInvalid)
	}
	for _, c := range []byte(n) {
		if c == '/' || c == 0 || c < ' ' || c == 0x7f {
			return "", fmt.Errorf("segment name %q: may not hold '/', NUL or control characters: %w", name, os.ErrInvalid)
		}
	}
	return n, nil
}

// checkObjectName validates an object name for the directory.
func checkObjectName(name string) error {
	switch {
	case name == "":
		return fmt.Errorf("object name: empty: %w", os.ErrInvalid)
	case len(name) > MaxObjectName:
		return fmt.Errorf("object name %q: longer than %d bytes: %w", name, MaxObjectName, os.ErrInvalid)
	}
	for _, c := range []byte(name) {
		if c < ' ' || c == 0x7f {
			return fmt.Errorf("object name %q: control character: %w", name, os.ErrInvalid)
		}
	}
	return nil
}
