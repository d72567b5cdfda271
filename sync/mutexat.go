package sync

import (
	"fmt"

	"github.com/shmkit/shmkit/shm"
)

// MutexAt attaches the Mutex object that starts at offset off of seg (its
// Handle().Offset): how an object that shares a caller's lock (a
// value.Value or array.Array made WithLock) finds it again in any process.
// Anything but a Mutex object there is shm.ErrWrongKind.
func MutexAt(seg *shm.Segment, off uint64) (*Mutex, error) {
	objs, err := seg.Objects()
	if err != nil {
		return nil, fmt.Errorf("lock at offset %d: %w", off, err)
	}
	for _, o := range objs {
		if uint64(o.Offset()) != off {
			continue
		}
		if err := o.Check(shm.KindMutex, layoutVersion); err != nil {
			return nil, fmt.Errorf("lock at offset %d: %w", off, err)
		}
		if err := checkSize(o, mutexSize); err != nil {
			return nil, err
		}
		return mutexOf(o, 0, false)
	}
	return nil, fmt.Errorf("lock at offset %d of segment %q: no object there: %w", off, seg.Name(), shm.ErrWrongKind)
}
