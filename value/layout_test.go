package value

import (
	"errors"
	"os"
	"reflect"
	"testing"
	"unsafe"

	"github.com/shmkit/shmkit/internal/testutil"
)

func TestLayout(t *testing.T) {
	testutil.Pins{
		{"header", unsafe.Sizeof(header{}), DataOffset},
		{"Flavor", unsafe.Offsetof(header{}.Flavor), 16},
		{"Kind", unsafe.Offsetof(header{}.Kind), 17},
		{"Size", unsafe.Offsetof(header{}.Size), 20},
		{"Align", unsafe.Offsetof(header{}.Align), 24},
		{"Sig", unsafe.Offsetof(header{}.Sig), 28},
		{"DType", unsafe.Offsetof(header{}.DType), 40},
		{"DType size", unsafe.Sizeof(header{}.DType), 16},
		{"LockAt", unsafe.Offsetof(header{}.LockAt), 64},
		{"Seq", unsafe.Offsetof(header{}.Seq), seqOffset},
		{"DataOffset", DataOffset, 256},
	}.Check(t)
}

type plain struct {
	A int32
	B [3]float64
	C struct{ D uint8 }
}

func TestCheck(t *testing.T) {
	type withString struct {
		A int
		S string
	}
	type deep struct{ X [2]struct{ P *int } }
	for _, typ := range []reflect.Type{
		reflect.TypeFor[*int](), reflect.TypeFor[[]int](), reflect.TypeFor[map[int]int](),
		reflect.TypeFor[string](), reflect.TypeFor[any](), reflect.TypeFor[chan int](),
		reflect.TypeFor[func()](), reflect.TypeFor[unsafe.Pointer](), reflect.TypeFor[withString](),
		reflect.TypeFor[deep](), reflect.TypeFor[struct{}](), reflect.TypeFor[[0]int](), nil,
	} {
		if err := Check(typ); !errors.Is(err, os.ErrInvalid) {
			t.Errorf("Check(%v) = %v, want os.ErrInvalid", typ, err)
		}
	}
	for _, typ := range []reflect.Type{
		reflect.TypeFor[int8](), reflect.TypeFor[complex128](), reflect.TypeFor[plain](),
		reflect.TypeFor[[4][2]uint16](), reflect.TypeFor[bool](),
	} {
		if err := Check(typ); err != nil {
			t.Errorf("Check(%v) = %v", typ, err)
		}
	}
	type same struct {
		X int32
		Y [3]float64
		Z struct{ W uint8 }
	}
	if Signature(reflect.TypeFor[plain]()) != Signature(reflect.TypeFor[same]()) {
		t.Error("same layout, different signatures")
	}
	type other struct {
		A int32
		B [3]int64
		C struct{ D uint8 }
	}
	if Signature(reflect.TypeFor[plain]()) == Signature(reflect.TypeFor[other]()) {
		t.Error("different layouts, same signature")
	}
}

func TestWords(t *testing.T) {
	for size := 1; size <= 24; size++ {
		src := make([]byte, size)
		for i := range src {
			src[i] = byte(i*37 + 1)
		}
		words := make([]uint64, stride(size)/8)
		writeWords(words, src)
		dst := make([]byte, size)
		readWords(dst, words)
		if string(dst) != string(src) {
			t.Fatalf("size %d: %x, want %x", size, dst, src)
		}
	}
}
