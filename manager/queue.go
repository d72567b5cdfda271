package manager

import "github.com/shmkit/shmkit/ring"

// Queue returns the typed MPMC queue called name in m's segment, creating
// it with opts if it does not exist (Python's Manager().Queue()). It is
// package ring's Queue[T], working in place in shared memory: it travels
// to children as a handle (or a child calls Queue on its copy of the
// Manager with the same name) and is safe for any number of goroutines and
// processes. A function, not a method, because Go methods cannot take type
// parameters.
func Queue[T any](m *Manager, name string, opts *ring.Options) (*ring.Queue[T], error) {
	return createOrOpen(
		func() (*ring.Queue[T], error) { return ring.NewQueue[T](m.seg, name, opts) },
		func() (*ring.Queue[T], error) { return ring.OpenQueue[T](m.seg, name) })
}
