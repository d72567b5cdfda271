package manager

import (
	"context"
	"testing"
)

// In-process costs of one operation, no contention.
func BenchmarkLocalOps(b *testing.B) {
	ctx := context.Background()
	d := newTestDict(b, &DictOptions{Entries: 2 * benchKeys})
	keys := make([]string, benchKeys)
	for i := range keys {
		keys[i] = benchKey(i)
		d.Set(ctx, keys[i], make([]byte, benchValue))
	}
	val := make([]byte, benchValue)
	b.Run("get", func(b *testing.B) {
		var buf []byte
		for i := range b.N {
			buf, _, _ = d.GetAppend(ctx, keys[i%benchKeys], buf[:0])
		}
	})
	b.Run("set", func(b *testing.B) {
		for i := range b.N {
			d.Set(ctx, keys[i%benchKeys], val)
		}
	})
}

// In-process round trip over loopback TCP, one goroutine (sequential) and
// many (pipelined on one Client).
func BenchmarkRemoteOps(b *testing.B) {
	ctx := context.Background()
	_, addr := startServer(b, nil)
	d := dialDict(b, addr)
	val := make([]byte, benchValue)
	for i := range benchKeys {
		d.Set(ctx, benchKey(i), val)
	}
	b.Run("get", func(b *testing.B) {
		for i := range b.N {
			d.Get(ctx, benchKey(i))
		}
	})
	b.Run("get-parallel", func(b *testing.B) {
		b.SetParallelism(8)
		b.RunParallel(func(pb *testing.PB) {
			for i := 0; pb.Next(); i++ {
				d.Get(ctx, benchKey(i))
			}
		})
	})
}
