package codec_test

import (
	"errors"
	"fmt"
	"os"
	"reflect"
	"testing"

	"github.com/shmkit/shmkit/codec"
)

type point struct{ X, Y int32 }

type named struct {
	Name string
	Tags []string
}

func roundTrip[T any](t *testing.T, c codec.Codec[T], v T) {
	t.Helper()
	b, err := c.Encode(nil, v)
	if err != nil {
		t.Fatalf("%T.Encode(%v): %v", c, v, err)
	}
	got, err := c.Decode(append([]byte{}, b...))
	if err != nil {
		t.Fatalf("%T.Decode: %v", c, err)
	}
	if !reflect.DeepEqual(got, v) {
		t.Fatalf("%T: %v came back as %v", c, v, got)
	}
}

func TestRoundTrips(t *testing.T) {
	roundTrip[[]byte](t, codec.Bytes{}, []byte("hello"))
	roundTrip[string](t, codec.String{}, "héllo")
	raw, err := codec.NewRaw[point]()
	if err != nil {
		t.Fatal(err)
	}
	roundTrip(t, raw, point{-1, 7})
	roundTrip(t, codec.Gob[named]{}, named{"a", []string{"x", "y"}})
	roundTrip(t, codec.JSON[named]{}, named{"a", []string{"x"}})
	roundTrip(t, codec.Default[point](), point{3, 4})
	roundTrip(t, codec.Default[named](), named{"b", nil})
	roundTrip(t, codec.Default[string](), "s")
	roundTrip(t, codec.Default[struct{}](), struct{}{})
}

func TestDefaultPicks(t *testing.T) {
	for _, c := range []struct {
		got  any
		want any
	}{
		{codec.Default[[]byte](), codec.Bytes{}},
		{codec.Default[string](), codec.String{}},
		{codec.Default[named](), codec.Gob[named]{}},
	} {
		if reflect.TypeOf(c.got) != reflect.TypeOf(c.want) {
			t.Errorf("Default = %T, want %T", c.got, c.want)
		}
	}
	if _, ok := codec.Default[int64]().(codec.Raw[int64]); !ok {
		t.Errorf("Default[int64] = %T, want Raw", codec.Default[int64]())
	}
}

func TestRawRefusesPointers(t *testing.T) {
	if _, err := codec.NewRaw[named](); !errors.Is(err, os.ErrInvalid) {
		t.Fatalf("NewRaw of a type with pointers = %v", err)
	}
	raw, _ := codec.NewRaw[point]()
	if _, err := raw.Decode([]byte{1, 2, 3}); !errors.Is(err, codec.ErrMalformed) {
		t.Fatalf("Decode of 3 bytes = %v, want ErrMalformed", err)
	}
}

// Encode reuses the scratch buffer it is given.
func TestScratchReused(t *testing.T) {
	raw, _ := codec.NewRaw[point]()
	scratch := make([]byte, 0, 64)
	b, _ := raw.Encode(scratch, point{1, 2})
	if &b[0] != &scratch[:1][0] {
		t.Fatal("Raw.Encode did not use the scratch buffer")
	}
}

func Example() {
	c := codec.JSON[point]{}
	b, _ := c.Encode(nil, point{1, 2})
	fmt.Println(string(b))
	p, _ := c.Decode(b)
	fmt.Println(p)
	// Output:
	// {"X":1,"Y":2}
	// {1 2}
}
