//go:build !race

package sync

import "unsafe"

// See race_on.go.
func raceRelease(unsafe.Pointer) {}
func raceAcquire(unsafe.Pointer) {}
