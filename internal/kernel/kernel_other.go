//go:build !linux

package kernel

import (
	"os"
	"syscall"
	"time"
)

// Stubs with the Linux signatures: shmkit compiles on every system and
// reports ErrUnsupported (errors.Is(err, errors.ErrUnsupported)) at run time.

func FutexWait(addr *uint32, val uint32, timeout time.Duration) error { return ErrUnsupported }
func FutexWake(addr *uint32, n int) (int, error)                      { return 0, ErrUnsupported }
func MemfdCreate(name string, size int64) (*os.File, error)           { return nil, ErrUnsupported }
func IsMemfd(f *os.File) bool                                         { return false }
func CloseOnExec(fd uintptr)                                          {}
func Dup(f *os.File) (*os.File, error)                                { return nil, ErrUnsupported }
func FreeBytes(path string) (free, total uint64, err error)           { return 0, 0, ErrUnsupported }
func Fallocate(f *os.File, size int64) error                          { return ErrUnsupported }
func IsNoSpace(err error) bool                                        { return false }
func StartTime(pid int) (uint64, error)                               { return 0, ErrUnsupported }
func ProcessExists(pid int) (bool, error)                             { return false, ErrUnsupported }
func Self() (pid int, start uint64)                                   { return os.Getpid(), 0 }
func ChildAttr() *syscall.SysProcAttr                                 { return &syscall.SysProcAttr{} }
func SetParentDeathSignal(sig syscall.Signal, ppid int) error         { return ErrUnsupported }
func Populate(b []byte) error                                         { return ErrUnsupported }
