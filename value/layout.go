package value

import (
	"structs"
	"unsafe"

	"github.com/shmkit/shmkit/shm"
	"github.com/shmkit/shmkit/sync"
)

// Layout of a value object (shm.KindValue, layout version 2),
// little-endian:
//
//	offset  size  field
//	0       16    robust lock (sync.EmbedMutex): Value.Store, Value.Update
//	16      1     flavor: 1 Value (sequence lock), 2 Int, 3 Float
//	17      1     reflect.Kind of T
//	20      4     size of T
//	24      4     alignment of T
//	28      4     layout signature of T (Signature)
//	40      16    numpy type string of T (DType), NUL-padded ASCII;
//	              empty when T has none (a struct)
//	64      8     shared lock: the segment offset of the sync.Mutex object
//	              whose lock this value uses (WithLock); 0: its own, at 0
//	128     8     sequence number (Value only; its own cache lines)
//	256     …     data: T at DataOffset. A Value has two copies, at
//	              DataOffset and DataOffset + stride (size rounded up to 8);
//	              the published one is copy (sequence & 1).
//
// For Int and Float the value itself is the little-endian number at
// DataOffset, updated with atomic instructions: another program mapping a
// named segment reads it at Object.Offset() + DataOffset (python/shmkit.py
// finds it by the value's name, and its type by the recorded string).
//
// Version 2 added the numpy type string in bytes that were padding;
// version 3 the shared lock (a version 2 reader would have used its own).
const (
	layoutVersion = 3
	// DataOffset is where the data starts inside the object.
	DataOffset = 2 * shm.CacheLinePad
	seqOffset  = shm.CacheLinePad
)

const (
	flavorValue = 1
	flavorInt   = 2
	flavorFloat = 3
)

type header struct {
	_      structs.HostLayout
	Lock   [sync.LockSize]byte
	Flavor uint8
	Kind   uint8
	_      uint16
	Size   uint32
	Align  uint32
	Sig    uint32
	_      [8]byte
	DType  DTypeField
	_      [8]byte
	LockAt uint64
	_      [shm.CacheLinePad - sync.LockSize - 56]byte
	Seq    uint64
	_      [shm.CacheLinePad - 8]byte
}

func hdr(b []byte) *header { return (*header)(unsafe.Pointer(&b[0])) }

// stride is the room for one copy of a T of size bytes: whole 8-byte words,
// so that readers copy with 64-bit atomic loads.
func stride(size int) int { return (size + 7) &^ 7 }

// wordAt is the 64-bit word at b[off], which the caller has bounds-checked
// (and which is 8-byte aligned: objects are, and off is a multiple of 8).
func wordAt(b []byte, off int) *uint64 { return (*uint64)(unsafe.Pointer(&b[off])) }
