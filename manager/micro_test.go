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
