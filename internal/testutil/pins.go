package testutil

import "testing"

// Pins is a table of layout pins, the Sizeof/Offsetof tests every shared
// layout has: for each named size or offset, the value compiled (Got) and
// the one the layout fixes (Want), which may only change with the layout's
// version:
//
//	testutil.Pins{
//		{"header", unsafe.Sizeof(header{}), 128},
//		{"header.Size", unsafe.Offsetof(header{}.Size), 16},
//	}.Check(t)
type Pins []struct {
	Name      string
	Got, Want uintptr
}

// Check fails the test for each pin whose Got is not its Want, naming all
// of them.
func (ps Pins) Check(tb testing.TB) {
	tb.Helper()
	for _, p := range ps {
		if p.Got != p.Want {
			tb.Errorf("%s = %d, want %d", p.Name, p.Got, p.Want)
		}
	}
}
