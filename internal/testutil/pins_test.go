package testutil

import (
	"fmt"
	"slices"
	"testing"
)

// recorder keeps what a helper reports instead of failing the test.
type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Helper()                      {}
func (r *recorder) Errorf(f string, args ...any) { r.errs = append(r.errs, fmt.Sprintf(f, args...)) }

func TestPinsNameEveryMismatch(t *testing.T) {
	r := &recorder{TB: t}
	Pins{
		{"a", 8, 8},
		{"b", 16, 24},
		{"c", 0, 4},
	}.Check(r)
	if want := []string{"b = 16, want 24", "c = 0, want 4"}; !slices.Equal(r.errs, want) {
		t.Fatalf("reported %q, want %q", r.errs, want)
	}
}
