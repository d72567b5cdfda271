//go:build !linux

package kernel

import "os"

// Stubs with the Linux signatures (see tmpfile_linux.go).

func OpenTmpfile(dir string, perm os.FileMode) (*os.File, error) { return nil, ErrUnsupported }
func LinkTmpfile(f *os.File, path string) error                  { return ErrUnsupported }
