package array

import (
	"fmt"
	"reflect"

	"github.com/shmkit/shmkit/shm"
	"github.com/shmkit/shmkit/sync"
)

func init() { shm.RegisterKind(shm.KindArray, "array", describe) }

// describe is the array's state for shmkit inspect: length, element type
// and size, the segment offset of element 0 (numpy's offset=), its
// numpy type where it has one, and the lock. It checks the header against
// the object before believing it.
func describe(o *shm.Object) string {
	if o.Version() != layoutVersion {
		return fmt.Sprintf("layout version %d (this build reads %d)", o.Version(), layoutVersion)
	}
	b := o.Bytes()
	if len(b) < HeaderSize || o.Offset()%8 != 0 {
		return "corrupt: too small for an array"
	}
	h := *hdr(b)
	if h.ElemSize == 0 || h.Len > uint64(len(b)-HeaderSize)/uint64(h.ElemSize) {
		return fmt.Sprintf("corrupt: %d elements of %d bytes in %d bytes", h.Len, h.ElemSize, len(b))
	}
	lock := "lock ?"
	if mu, err := sync.EmbedMutex(o, 0); err == nil {
		lock = "lock " + mu.State()
	}
	if dt := h.DType.String(); dt != "" {
		lock = "numpy " + dt + "; " + lock // the type Python's shmkit.py sees
	}
	return fmt.Sprintf("%d × %d-byte %s, data at segment offset %d; %s",
		h.Len, h.ElemSize, reflect.Kind(h.Kind), o.Offset()+HeaderSize, lock)
}
