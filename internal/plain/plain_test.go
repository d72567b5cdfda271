package plain

import (
	"errors"
	"os"
	"reflect"
	"testing"
	"time"
	"unsafe"
)

type plainStruct struct {
	N      int
	Wrong  bool
	Vec    [3]float32
	Inner  struct{ A, B uint16 }
	hidden int8
}

// marshaled is plain in shape but has its own encoding.
type marshaled struct{ N int }

func (m marshaled) MarshalBinary() ([]byte, error) { return []byte{byte(m.N)}, nil }

// textPtr has its own encoding on the pointer only.
type textPtr struct{ N int }

func (t *textPtr) MarshalText() ([]byte, error) { return []byte("x"), nil }

func TestCheckAndRaw(t *testing.T) {
	for _, tc := range []struct {
		v          any
		plain, raw bool
	}{
		{0, true, true},
		{uintptr(0), true, true},
		{complex128(0), true, true},
		{plainStruct{}, true, true},
		{[4]int64{}, true, true},
		{time.Duration(0), true, true},
		// Zero-size: plain (its bytes, none, are the whole value).
		{struct{}{}, true, true},
		{[0]int{}, true, true},
		{[0]*int{}, true, true}, // holds no element, so no pointer
		{struct{ _ [0]string }{}, true, true},
		// Own encoding: plain, but a choosing codec keeps the encoding.
		{marshaled{}, true, false},
		{textPtr{}, true, false},
		// Pointers at any depth.
		{"", false, false},
		{[]int{}, false, false},
		{map[int]int{}, false, false},
		{new(int), false, false},
		{unsafe.Pointer(nil), false, false},
		{struct{ S string }{}, false, false},
		{struct{ P *int }{}, false, false},
		{[2][]int{}, false, false},
		{[1]struct{ F func() }{}, false, false},
		{make(chan int), false, false},
		{time.Time{}, false, false},
	} {
		typ := reflect.TypeOf(tc.v)
		if err := Check(typ); (err == nil) != tc.plain || (err != nil && !errors.Is(err, os.ErrInvalid)) {
			t.Errorf("Check(%v) = %v, want plain %v", typ, err, tc.plain)
		}
		for range 2 { // the second answer comes from the cache
			if got := Raw(typ); got != tc.raw {
				t.Errorf("Raw(%v) = %v, want %v", typ, got, tc.raw)
			}
		}
	}
	if err := Check(nil); !errors.Is(err, os.ErrInvalid) {
		t.Errorf("Check(nil) = %v", err)
	}
	if Raw(nil) {
		t.Error("Raw(nil) = true")
	}
	if OwnEncoding(reflect.TypeFor[plainStruct]()) || !OwnEncoding(reflect.TypeFor[textPtr]()) {
		t.Error("OwnEncoding: wrong answer")
	}
}

func TestPointerPathNamesThePart(t *testing.T) {
	type inner struct {
		A int
		S []byte
	}
	type outer struct {
		N   int
		Arr [2]inner
	}
	if got, want := PointerPath(reflect.TypeFor[outer]()), "plain.outer.Arr[0].S (slice)"; got != want {
		t.Errorf("PointerPath = %q, want %q", got, want)
	}
	if got := PointerPath(reflect.TypeFor[plainStruct]()); got != "" {
		t.Errorf("PointerPath(plain) = %q", got)
	}
}
