package array

import (
	"structs"
	"unsafe"

	"github.com/shmkit/shmkit/shm"
	"github.com/shmkit/shmkit/sync"
	"github.com/shmkit/shmkit/value"
)

// Layout of an array object (shm.KindArray, layout version 2),
// little-endian:
//
//	offset  size  field
//	0       16    robust lock (sync.EmbedMutex): Lock, Unlock
//	16      8     length (elements)
//	24      4     element size (Go's unsafe.Sizeof: the stride)
//	28      4     element alignment
//	32      4     layout signature of T (value.Signature)
//	36      1     reflect.Kind of T
//	40      16    numpy type string of T (value.DType), NUL-padded ASCII;
//	              empty when T has none (a struct)
//	64      8     shared lock: the segment offset of the sync.Mutex object
//	              whose lock this array uses (value.WithLock); 0: its own
//	128     …     the elements, contiguous, element i at 128 + i*size
//
// The header is written once, before the object is published; the length
// and sizes are read once when a process opens the array, checked against
// the object's size, and kept in private memory. python/shmkit.py reads
// the same header to hand out a numpy view of the elements by the array's
// name.
//
// Version 2 added the numpy type string in bytes that were padding;
// version 3 the shared lock (a version 2 reader would have used its own).
const (
	layoutVersion = 3
	// HeaderSize is the offset of element 0 inside the object. Add the
	// object's offset in the segment for numpy's offset= (DataOffset).
	HeaderSize = shm.CacheLinePad
)

type header struct {
	_        structs.HostLayout
	Lock     [sync.LockSize]byte
	Len      uint64
	ElemSize uint32
	Align    uint32
	Sig      uint32
	Kind     uint8
	_        [3]byte
	DType    value.DTypeField
	_        [8]byte
	LockAt   uint64
	_        [HeaderSize - sync.LockSize - 56]byte
}

func hdr(b []byte) *header { return (*header)(unsafe.Pointer(&b[0])) }

// elems views the n elements after the header as a []T. The caller has
// checked HeaderSize + n*Sizeof(T) <= len(b) and T's alignment.
func elems[T any](b []byte, n int) []T {
	if n == 0 {
		return []T{}
	}
	return unsafe.Slice((*T)(unsafe.Pointer(&b[HeaderSize])), n)
}

// alignedFor reports whether b starts on a boundary of align bytes.
func alignedFor(b []byte, align int) bool { return uintptr(unsafe.Pointer(&b[0]))%uintptr(align) == 0 }

// words64 and words32 are the element at p as the word an atomic
// operation needs: Int[T]'s integer kinds are 4 or 8 bytes.
func words64[T any](p *T) *uint64 { return (*uint64)(unsafe.Pointer(p)) }
func words32[T any](p *T) *uint32 { return (*uint32)(unsafe.Pointer(p)) }

// sizeOf is T's size (the element stride).
func sizeOf[T any]() uintptr { var z T; return unsafe.Sizeof(z) }
