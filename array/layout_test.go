package array

import (
	"testing"
	"unsafe"

	"github.com/shmkit/shmkit/internal/testutil"
)

func TestLayout(t *testing.T) {
	testutil.Pins{
		{"header", unsafe.Sizeof(header{}), HeaderSize},
		{"Len", unsafe.Offsetof(header{}.Len), 16},
		{"ElemSize", unsafe.Offsetof(header{}.ElemSize), 24},
		{"Align", unsafe.Offsetof(header{}.Align), 28},
		{"Sig", unsafe.Offsetof(header{}.Sig), 32},
		{"Kind", unsafe.Offsetof(header{}.Kind), 36},
		{"DType", unsafe.Offsetof(header{}.DType), 40},
		{"DType size", unsafe.Sizeof(header{}.DType), 16},
		{"LockAt", unsafe.Offsetof(header{}.LockAt), 64},
		{"HeaderSize", HeaderSize, 128},
	}.Check(t)
}
