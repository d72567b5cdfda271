//go:build !race

package sync

// See race_on.go.
func raceRelease[T any](*T) {}
func raceAcquire[T any](*T) {}
