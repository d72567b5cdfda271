package value

import (
	"encoding/binary"
	"fmt"
	"math"
	"reflect"
	"sync/atomic"

	"github.com/shmkit/shmkit/shm"
	"github.com/shmkit/shmkit/sync"
)

func init() { shm.RegisterKind(shm.KindValue, "value", describe) }

// describe is the value's state for shmkit inspect: "int64 = 42", or
// "Value of 24-byte struct, 7 updates", its numpy type where it has one,
// and the lock's state. It checks the
// recorded size against the object before reading the data.
func describe(o *shm.Object) string {
	if o.Version() != layoutVersion {
		return fmt.Sprintf("layout version %d (this build reads %d)", o.Version(), layoutVersion)
	}
	if o.Size() < DataOffset || o.Offset()%8 != 0 {
		return "corrupt: too small for a value"
	}
	b := o.Bytes()
	h := hdr(b)
	size, kind := int(h.Size), reflect.Kind(h.Kind)
	ti := typeInfo{flavor: h.Flavor, size: size}
	if size <= 0 || ti.objectSize() > o.Size() {
		return fmt.Sprintf("corrupt: %d-byte data in a %d-byte object", size, o.Size())
	}
	lock := "lock ?"
	if mu, err := sync.EmbedMutex(o, 0); err == nil {
		lock = "lock " + mu.State()
	}
	if dt := h.DType.String(); dt != "" {
		lock = "numpy " + dt + "; " + lock // the type Python's shmkit.py sees
	}
	word := atomic.LoadUint64(wordAt(b, DataOffset))
	switch h.Flavor {
	case flavorInt:
		return fmt.Sprintf("%s = %s; %s", kind, formatInt(kind, size, word), lock)
	case flavorFloat:
		f := math.Float64frombits(word)
		if size == 4 {
			f = float64(math.Float32frombits(uint32(word)))
		}
		return fmt.Sprintf("%s = %g; %s", kind, f, lock)
	case flavorValue:
		seq := atomic.LoadUint64(&h.Seq)
		return fmt.Sprintf("%d-byte %s, %d updates, data at +%d; %s", size, kind, seq, DataOffset+int(seq&1)*stride(size), lock)
	}
	return fmt.Sprintf("corrupt: flavor %d", h.Flavor)
}

func formatInt(kind reflect.Kind, size int, w uint64) string {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], w)
	signed := kind >= reflect.Int && kind <= reflect.Int64
	if size == 4 {
		v := binary.LittleEndian.Uint32(b[:])
		if signed {
			return fmt.Sprint(int32(v))
		}
		return fmt.Sprint(v)
	}
	if signed {
		return fmt.Sprint(int64(w))
	}
	return fmt.Sprint(w)
}
