//go:build race || !amd64

package ring

import "sync/atomic"

// publish stores v with (at least) release order; see publish_amd64.go.
func publish(w *atomic.Uint64, v uint64) { w.Store(v) }
