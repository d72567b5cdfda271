package pool

import "testing"

// Map's guided chunks cover every input once, start at Python's default
// size, never grow, and end with single inputs.
func TestGuidedChunks(t *testing.T) {
	for _, tc := range []struct{ n, workers int }{{1, 1}, {10, 2}, {256, 2}, {1024, 2}, {100_000, 2}, {1000, 16}} {
		python := (tc.n + 4*tc.workers - 1) / (4 * tc.workers)
		var sizes []int
		for left := tc.n; left > 0; {
			s := guidedChunk(left, tc.workers)
			if s < 1 || s > left {
				t.Fatalf("n=%d workers=%d: chunk of %d with %d left", tc.n, tc.workers, s, left)
			}
			sizes = append(sizes, s)
			left -= s
		}
		if sizes[0] != python {
			t.Errorf("n=%d workers=%d: first chunk %d, want Python's %d", tc.n, tc.workers, sizes[0], python)
		}
		for i := 1; i < len(sizes); i++ {
			if sizes[i] > sizes[i-1] {
				t.Fatalf("n=%d workers=%d: chunk %d grows: %v", tc.n, tc.workers, i, sizes)
			}
		}
		if last := sizes[len(sizes)-1]; last != 1 {
			t.Errorf("n=%d workers=%d: last chunk %d, want 1", tc.n, tc.workers, last)
		}
		// Few chunks all the same: about 4·workers·ln(n) of them.
		if tc.n == 100_000 && len(sizes) > 200 {
			t.Errorf("n=%d workers=%d: %d chunks", tc.n, tc.workers, len(sizes))
		}
		t.Logf("n=%d workers=%d: %d chunks, first %d", tc.n, tc.workers, len(sizes), sizes[0])
	}
}
