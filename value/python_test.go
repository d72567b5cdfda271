package value_test

import (
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/shmkit/shmkit/internal/testutil"
	"github.com/shmkit/shmkit/shm"
	"github.com/shmkit/shmkit/value"
)

// A named segment's Int, read and written by Python at Offset() +
// DataOffset: the layout promise for other languages.
func TestIntFromPython(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		t.Skip("python3 not installed")
	}
	name := fmt.Sprintf("shmkit-test-value-%d", os.Getpid())
	seg, err := shm.Create(name, 1<<16, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { seg.Close(); shm.Remove(name) })
	c := testutil.Must[*value.Int[int64]](t)(value.NewInt[int64](seg, "counter", -7))
	script := `
import struct, sys
from multiprocessing import shared_memory, resource_tracker
m = shared_memory.SharedMemory(name=sys.argv[1])
resource_tracker.unregister(m._name, "shared_memory")  # attach only: never unlink
off = int(sys.argv[2])
(v,) = struct.unpack_from("<q", m.buf, off)
struct.pack_into("<q", m.buf, off, v * 6)
print(v)
m.close()
`
	off := c.Object().Offset() + value.DataOffset
	out, err := exec.Command(py, "-c", script, name, fmt.Sprint(off)).CombinedOutput()
	if err != nil {
		t.Fatalf("python: %v\n%s", err, out)
	}
	if got := strings.TrimSpace(string(out)); got != "-7" {
		t.Fatalf("python read %q", got)
	}
	if c.Load() != -42 {
		t.Fatalf("after python wrote: %d", c.Load())
	}
}
