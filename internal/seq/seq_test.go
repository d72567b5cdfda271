package seq

import (
	"maps"
	"slices"
	"testing"
)

// TestKeysValues: the adapters yield each pair's half in order, and stop
// the pairs' iterator when their consumer stops.
func TestKeysValues(t *testing.T) {
	pairs := func(yield func(string, int) bool) {
		for i, k := range []string{"a", "b", "c"} {
			if !yield(k, i) {
				return
			}
		}
	}
	if got := slices.Collect(Keys(pairs)); !slices.Equal(got, []string{"a", "b", "c"}) {
		t.Fatalf("Keys = %v", got)
	}
	if got := slices.Collect(Values(pairs)); !slices.Equal(got, []int{0, 1, 2}) {
		t.Fatalf("Values = %v", got)
	}
	n := 0
	for range Keys(maps.All(map[string]int{"x": 1, "y": 2})) {
		n++
		break
	}
	if n != 1 {
		t.Fatalf("break after %d keys", n)
	}
}
