package array

import (
	"testing"
	"unsafe"
)

func TestLayout(t *testing.T) {
	for _, c := range []struct {
		name      string
		got, want uintptr
	}{
		{"header", unsafe.Sizeof(header{}), HeaderSize},
		{"Len", unsafe.Offsetof(header{}.Len), 16},
		{"ElemSize", unsafe.Offsetof(header{}.ElemSize), 24},
		{"Align", unsafe.Offsetof(header{}.Align), 28},
		{"Sig", unsafe.Offsetof(header{}.Sig), 32},
		{"Kind", unsafe.Offsetof(header{}.Kind), 36},
		{"HeaderSize", HeaderSize, 128},
	} {
		if c.got != c.want {
			t.Errorf("%s = %d, want %d", c.name, c.got, c.want)
		}
	}
}
