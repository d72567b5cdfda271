//go:build !linux

package kernel

import "runtime"

func ThreadCPUs() ([]int, error)     { return nil, ErrUnsupported }
func SetThreadCPUs(cpus []int) error { return ErrUnsupported }

// Yield lets other goroutines run: the nearest portable thing.
func Yield() { runtime.Gosched() }
