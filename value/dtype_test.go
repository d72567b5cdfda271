package value_test

import (
	"errors"
	"reflect"
	"testing"

	"github.com/shmkit/shmkit/internal/testutil"
	"github.com/shmkit/shmkit/internal/testutil/segtest"
	"github.com/shmkit/shmkit/shm"
	"github.com/shmkit/shmkit/value"
)

type celsius float64

func TestDType(t *testing.T) {
	for _, c := range []struct {
		t    reflect.Type
		want string
	}{
		{reflect.TypeFor[int64](), "<i8"},
		{reflect.TypeFor[int](), "<i8"},
		{reflect.TypeFor[uint32](), "<u4"},
		{reflect.TypeFor[uintptr](), "<u8"},
		{reflect.TypeFor[int8](), "|i1"},
		{reflect.TypeFor[uint8](), "|u1"},
		{reflect.TypeFor[int16](), "<i2"},
		{reflect.TypeFor[bool](), "|b1"},
		{reflect.TypeFor[float32](), "<f4"},
		{reflect.TypeFor[celsius](), "<f8"},
		{reflect.TypeFor[complex64](), "<c8"},
		{reflect.TypeFor[complex128](), "<c16"},
		{reflect.TypeFor[[3]float64](), "(3,)<f8"},
		{reflect.TypeFor[[2][3]int32](), "(2,3)<i4"},
		{reflect.TypeFor[[1 << 20][1 << 20]complex128](), ""}, // longer than MaxDType
		{reflect.TypeFor[struct{ A int64 }](), ""},
		{reflect.TypeFor[[2]struct{ A int64 }](), ""},
		{nil, ""},
	} {
		if got := value.DType(c.t); got != c.want {
			t.Errorf("DType(%v) = %q, want %q", c.t, got, c.want)
		}
	}
}

// Each flavor records its numpy type, and an object whose recorded type
// was changed is another type to Open.
func TestDTypeRecorded(t *testing.T) {
	seg := segtest.NewSize(t, 1<<16)
	i := testutil.Must[*value.Int[int32]](t)(value.NewInt[int32](seg, "i", 1))
	f := testutil.Must[*value.Float[float32]](t)(value.NewFloat[float32](seg, "f", 1))
	v := testutil.Must[*value.Value[[2]uint16]](t)(value.New(seg, "v", [2]uint16{}))
	s := testutil.Must[*value.Value[struct{ A, B int64 }]](t)(value.New(seg, "s", struct{ A, B int64 }{}))
	for _, c := range []struct{ got, want string }{{i.DType(), "<i4"}, {f.DType(), "<f4"}, {v.DType(), "(2,)<u2"}, {s.DType(), ""}} {
		if c.got != c.want {
			t.Errorf("DType() = %q, want %q", c.got, c.want)
		}
	}
	copy(i.Object().Bytes()[40:], "<u4")
	if _, err := value.OpenInt[int32](seg, "i"); !errors.Is(err, shm.ErrWrongKind) {
		t.Fatalf("OpenInt after the dtype changed: %v, want shm.ErrWrongKind", err)
	}
}
