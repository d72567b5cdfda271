package remote

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"testing"
	"time"

	"github.com/shmkit/shmkit/manager/table"
)

// FuzzParseFrame: the decoder never panics, and what it accepts encodes
// back to the same bytes.
func FuzzParseFrame(f *testing.F) {
	f.Add(appendFrame(nil, opGet, []byte("d"), []byte("key"))[4:])
	f.Add(appendFrame(nil, opSetMany, []byte("d"), []byte("k"), []byte("v"), []byte("k2"), nil)[4:])
	f.Add(appendFrame(nil, opOpen, []byte("d"), encodeOptions(&table.Options{Entries: 3}))[4:])
	f.Add([]byte{opGet, 0xff, 0xff, 1, 0, 0, 0})
	f.Add([]byte{1})
	f.Fuzz(func(t *testing.T, b []byte) {
		fr, err := parseFrame(b)
		if err != nil {
			if !errors.Is(err, ErrProtocol) {
				t.Fatalf("error %v does not wrap ErrProtocol", err)
			}
			return
		}
		if got := appendFrame(nil, fr.op, fr.fields...)[4:]; !bytes.Equal(got, b) {
			t.Fatalf("re-encoded %x, want %x", got, b)
		}
		if fr.op == opOpen && len(fr.fields) == 2 {
			decodeOptions(fr.fields[1])
		}
	})
}

// FuzzServe: any frame body given to the server's request handler gets a
// reply that parses, and never a panic.
func FuzzServe(f *testing.F) {
	f.Add(appendFrame(nil, opSet, []byte("d"), []byte("key"), []byte("v"))[4:])
	f.Add(appendFrame(nil, opGet, []byte("d"), []byte("key"))[4:])
	f.Add(appendFrame(nil, opCAS, []byte("d"), []byte("key"), []byte("v"), []byte("w"))[4:])
	f.Add(appendFrame(nil, opSetMany, []byte("d"), []byte("a"), []byte("1"))[4:])
	f.Add(appendFrame(nil, opSnapshot, []byte("d"))[4:])
	f.Add(appendFrame(nil, opPopItem, []byte("d"))[4:])
	f.Add(appendFrame(nil, opQOpen, []byte("q"), u64s(4, 64))[4:])
	f.Add(appendFrame(nil, opQPut, []byte("q"), u64s(0), []byte("v"))[4:])
	f.Add(appendFrame(nil, opQGet, []byte("q"), u64s(0))[4:])
	f.Add(appendFrame(nil, opQLen, []byte("q"))[4:])
	f.Add(appendFrame(nil, opCreate, []byte("Foo"))[4:])
	f.Add(appendFrame(nil, opCall, u64s(1), []byte("f"), nil)[4:])
	f.Add(appendFrame(nil, opRelease, u64s(1))[4:])
	f.Add(appendFrame(nil, opOpen, []byte("e"), encodeOptions(&table.Options{Entries: 1 << 50}))[4:])
	m := newSource(f, 8<<20)
	if _, err := table.NewDict(m.seg, "d", &table.Options{Entries: 64, Bytes: 64 << 10, MaxValue: 1024, Stripes: 2}); err != nil {
		f.Fatal(err)
	}
	s := &Server{Manager: m, AuthKey: testKey}
	s.defaults()
	myManager(f, s)
	f.Fuzz(func(t *testing.T, b []byte) {
		fr, err := parseFrame(b)
		if err != nil {
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		reply := s.serve(ctx, fr, nil)
		if _, err := parseFrame(reply[4:]); err != nil || int(binary.LittleEndian.Uint32(reply)) != len(reply)-4 {
			t.Fatalf("reply %x does not parse: %v", reply, err)
		}
	})
}
