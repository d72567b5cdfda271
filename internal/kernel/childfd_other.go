//go:build !linux

package kernel

import "os"

func DupTo(f *os.File, fd int) error { return ErrUnsupported }
func NonblockFile(fd uintptr, name string) (*os.File, error) {
	return nil, ErrUnsupported
}
