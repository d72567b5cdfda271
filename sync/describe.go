package sync

import (
	"fmt"

	"github.com/shmkit/shmkit/internal/owner"
	"github.com/shmkit/shmkit/shm"
)

// Describers for shmkit inspect. Each checks the object's size and
// alignment before reading (the memory may be corrupt or hostile) and never
// blocks; liveness checks read /proc.
func init() {
	shm.RegisterKind(shm.KindMutex, "mutex", describeWith(mutexSize, func(o *shm.Object) string {
		return owner.LockAt(o.Bytes()).Describe()
	}))
	shm.RegisterKind(shm.KindRLock, "rlock", describeWith(rlockSize, func(o *shm.Object) string {
		r, err := rlockOf(o)
		if err != nil {
			return err.Error()
		}
		return r.describe()
	}))
	shm.RegisterKind(shm.KindRWMutex, "rwmutex", describeWith(rwSize, func(o *shm.Object) string {
		rw, err := rwOf(o)
		if err != nil {
			return err.Error()
		}
		return rw.describe()
	}))
	shm.RegisterKind(shm.KindSemaphore, "semaphore", describeWith(semSize, func(o *shm.Object) string {
		s, err := semOf(o)
		if err != nil {
			return err.Error()
		}
		return s.describe()
	}))
	shm.RegisterKind(shm.KindCond, "cond", describeWith(condSize, func(o *shm.Object) string {
		c, err := condOf(o)
		if err != nil {
			return err.Error()
		}
		return c.describe()
	}))
	shm.RegisterKind(shm.KindEvent, "event", describeWith(eventSize, func(o *shm.Object) string {
		return eventOf(o).describe()
	}))
	shm.RegisterKind(shm.KindBarrier, "barrier", describeWith(barrierSize(1), func(o *shm.Object) string {
		b, err := barrierOf(o)
		if err != nil {
			return err.Error()
		}
		return b.describe()
	}))
}

func describeWith(size int, f func(*shm.Object) string) func(*shm.Object) string {
	return func(o *shm.Object) string {
		if o.Version() != layoutVersion {
			return fmt.Sprintf("layout version %d (this build reads %d)", o.Version(), layoutVersion)
		}
		if err := checkSize(o, size); err != nil {
			return err.Error()
		}
		if !aligned8(o.Bytes()) {
			return "misaligned"
		}
		return f(o)
	}
}
