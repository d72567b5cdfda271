//go:build !linux

package bench

import "runtime"

func osYield() { runtime.Gosched() }
