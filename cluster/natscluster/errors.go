package natscluster

import (
	"errors"

	"github.com/shmkit/shmkit/pool"
)

var (
	// ErrSharedMemory: a task argument carries a handle to a shared-memory
	// object (a Queue, a Dict, a Mutex, a Value, an Array, an shm.Handle),
	// which means nothing on another machine. The executor refuses it
	// before sending anything.
	ErrSharedMemory = errors.New("argument carries a shared-memory handle, which does not cross machines: pass the values, or use this package's Dict and Queue")

	// ErrDeliveriesExhausted fails the inputs of a chunk that was delivered
	// Options.MaxDeliver times without an answer: each time its worker
	// died, was stopped, or lost the server for longer than AckWait. It
	// is errors.Is pool.ErrWorkerDied too, as on the local pool.
	ErrDeliveriesExhausted = deliveriesExhausted{}
)

type deliveriesExhausted struct{}

func (deliveriesExhausted) Error() string {
	return "chunk delivered MaxDeliver times without an answer (its workers died or lost the server)"
}

// Is makes ErrDeliveriesExhausted match pool.ErrWorkerDied.
func (deliveriesExhausted) Is(target error) bool { return target == pool.ErrWorkerDied }
