package process_test

import (
	"bytes"
	"context"
	"slices"
	"testing"

	"github.com/shmkit/shmkit/internal/testutil"
	"github.com/shmkit/shmkit/process"
)

var reverse = process.Register("test.reverse", func(ctx context.Context, b []byte) ([]byte, error) {
	out := slices.Clone(b)
	slices.Reverse(out)
	return out, nil
})

// A 16 MiB argument and result travel whole (CPython's test_connection
// sends 16 MiB); the limit is 1 GiB each.
func TestRunBigArgumentAndResult(t *testing.T) {
	in := make([]byte, 16<<20)
	for i := range in {
		in[i] = byte(i * 31 >> 7)
	}
	out, err := process.Run(testutil.Context(t), reverse, in)
	if err != nil {
		t.Fatal(err)
	}
	slices.Reverse(in)
	if !bytes.Equal(out, in) {
		t.Fatalf("16 MiB came back wrong (%d bytes)", len(out))
	}
}
