package process

import (
	"bytes"
	"testing"
)

func roundTrip[T any](t *testing.T, v T, eq func(a, b T) bool) {
	t.Helper()
	b, err := encode(v)
	if err != nil {
		t.Fatal(err)
	}
	var got T
	if err := decode(b, &got); err != nil || !eq(got, v) {
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
	if err := decode([]byte{0xfe, 0xff, 0xff, 0xff, 0x7f}, &i); err == nil {
		t.Fatal("int32 overflow accepted")
	}
	var s string
	if err := decode([]byte("xabc"), &s); err == nil {
		t.Fatal("string without its tag accepted")
	}
}
