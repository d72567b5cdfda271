package table

import (
	"context"
	"strconv"
	"testing"
)

// The benchmarks' table: 1024 keys of 64-byte values.
const (
	benchKeys  = 1024
	benchValue = 64
)

func benchKey(i int) string { return "key" + strconv.Itoa(i%benchKeys) }

// In-process costs of one operation, no contention.
func BenchmarkLocalOps(b *testing.B) {
	ctx := context.Background()
	d := newTestDict(b, &Options{Entries: 2 * benchKeys})
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
