//go:build !linux

package kernel

import "os"

func DupTo(f *os.File, fd int) error { return ErrUnsupported }
