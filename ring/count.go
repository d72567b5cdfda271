//go:build race || !amd64

package ring

import "sync/atomic"

// count adds n to a counter only the caller's side writes (see
// count_amd64.go): with release order elsewhere, and atomically for the
// race detector.
func count(w *atomic.Uint64, n uint64) { publish(w, w.Load()+n) }
