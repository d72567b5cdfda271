package manager

import (
	"fmt"
	"os"
	"testing"
	"time"
)

func FuzzTmpAttach(f *testing.F) {
	f.Add(validTable(f))
	f.Fuzz(func(t *testing.T, b []byte) {
		t0 := time.Now()
		fuzzAttachBody(t, b)
		if d := time.Since(t0); d > 50*time.Millisecond {
			os.WriteFile(fmt.Sprintf("/tmp/fzslow-%d", time.Now().UnixNano()), b, 0o600)
		}
	})
}
