//go:build !linux

package kernel

import "os"

func Pipe() (r, w *os.File, err error)              { return nil, nil, ErrUnsupported }
func SetPipeSize(f *os.File, size int) (int, error) { return 0, ErrUnsupported }
func Read(fd int, p []byte) (int, error)            { return 0, ErrUnsupported }
func Write(fd int, p []byte) (int, error)           { return 0, ErrUnsupported }
func DupNonblock(f *os.File) (*os.File, error)      { return nil, ErrUnsupported }
