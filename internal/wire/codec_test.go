package wire

import (
	"bytes"
	"reflect"
	"testing"
	"time"

	"github.com/shmkit/shmkit/internal/plain"
)

func roundTrip[T any](t *testing.T, v T, eq func(a, b T) bool) {
	t.Helper()
	b, err := Encode(v)
	if err != nil {
		t.Fatal(err)
	}
	var got T
	if err := Decode(b, &got); err != nil || !eq(got, v) {
		t.Fatalf("%T %v: got %v, %v", v, v, got, err)
	}
}

func same[T comparable](a, b T) bool { return a == b }

func TestCodecRoundTrips(t *testing.T) {
	roundTrip(t, -12345, same[int])
	roundTrip(t, int64(-1)<<62, same[int64])
	roundTrip(t, int32(-7), same[int32])
	roundTrip(t, uint64(1)<<63, same[uint64])
	roundTrip(t, uint32(1)<<31, same[uint32])
	roundTrip(t, 3.25, same[float64])
	roundTrip(t, true, same[bool])
	roundTrip(t, "héllo", same[string])
	roundTrip(t, "", same[string])
	roundTrip(t, []byte{0, 1, 2}, bytes.Equal)
	roundTrip(t, struct{ A, B int }{1, 2}, same[struct{ A, B int }])
	roundTrip(t, map[string]int{"a": 1}, func(a, b map[string]int) bool { return a["a"] == b["a"] && len(a) == len(b) })
	var i int32
	if err := Decode([]byte{0xfe, 0xff, 0xff, 0xff, 0x7f}, &i); err == nil {
		t.Fatal("int32 overflow accepted")
	}
	var s string
	if err := Decode([]byte("xabc"), &s); err == nil {
		t.Fatal("string without its tag accepted")
	}
}

type plainArg struct {
	N      int
	Wrong  bool
	Vec    [3]float32
	Inner  struct{ A, B uint16 }
	hidden int8 // unexported: travels too, unlike with gob
}

// marshaled is plain in shape but has its own encoding, which must win.
type marshaled struct{ N int }

var marshalCalls int

func (m marshaled) MarshalBinary() ([]byte, error) {
	marshalCalls++
	return []byte{byte(m.N), 0xAA}, nil
}

func (m *marshaled) UnmarshalBinary(b []byte) error {
	if len(b) != 2 || b[1] != 0xAA {
		return errInvalid
	}
	m.N = int(b[0])
	return nil
}

func TestCodecPlain(t *testing.T) {
	v := plainArg{N: -7, Wrong: true, Vec: [3]float32{1, 2.5, -3}, hidden: 9}
	v.Inner.A, v.Inner.B = 1, 65535
	b, err := Encode(v)
	if err != nil {
		t.Fatal(err)
	}
	if len(b) != int(reflect.TypeFor[plainArg]().Size()) {
		t.Fatalf("a plain struct took %d bytes, not its size", len(b))
	}
	roundTrip(t, v, same[plainArg])
	roundTrip(t, 1500*time.Millisecond, same[time.Duration])
	roundTrip(t, [4]int64{1, -2, 3, -4}, same[[4]int64])
	roundTrip(t, [0]int{}, same[[0]int])

	var got plainArg
	if err := Decode(b[:len(b)-1], &got); err == nil {
		t.Fatal("a short plain value decoded")
	}

	before := marshalCalls
	roundTrip(t, marshaled{N: 42}, same[marshaled])
	if marshalCalls == before {
		t.Fatal("a type with MarshalBinary travelled as raw bytes")
	}
	for _, tc := range []struct {
		v    any
		want bool
	}{
		{plainArg{}, true}, {struct{ S string }{}, false}, {struct{ P *int }{}, false},
		{[2][]int{}, false}, {marshaled{}, false}, {time.Time{}, false}, {struct{}{}, true}, {[0]int{}, true},
	} {
		if got := plain.Raw(reflect.TypeOf(tc.v)); got != tc.want {
			t.Errorf("plain.Raw(%T) = %v, want %v", tc.v, got, tc.want)
		}
	}
}
