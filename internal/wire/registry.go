package wire

import (
	"context"
	"sync"
)

// Runner runs a registered task from its encoded argument to its encoded
// result.
type Runner func(ctx context.Context, arg []byte) ([]byte, error)

var registry = struct {
	sync.RWMutex
	m map[string]Runner
}{m: map[string]Runner{}}

// Register adds r under name; false when the name is taken (the table is
// unchanged then).
func Register(name string, r Runner) bool {
	registry.Lock()
	defer registry.Unlock()
	if _, dup := registry.m[name]; dup {
		return false
	}
	registry.m[name] = r
	return true
}

// Lookup returns the runner registered under name.
func Lookup(name string) (Runner, bool) {
	registry.RLock()
	defer registry.RUnlock()
	r, ok := registry.m[name]
	return r, ok
}
