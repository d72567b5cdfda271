//go:build !linux

package kernel

func SetOpenFileLimit(n uint64) (prev uint64, err error) { return 0, ErrUnsupported }
