package shm_test

import (
	"encoding/binary"
	"errors"
	"fmt"
	"log"
	"math"
	"os"
	"path/filepath"

	"github.com/shmkit/shmkit/shm"
)

// A segment another program made, opened by name as bytes. Python makes
// one with
//
//	m = multiprocessing.shared_memory.SharedMemory(name="scores", create=True, size=4096)
//	struct.pack_into("<3d", m.buf, 0, 1.5, 2.5, 4.0)
//
// Here a plain file in /dev/shm stands in for it.
func ExampleOpenRaw() {
	const name = "shmkit-example-raw"
	foreign := make([]byte, 4096)
	for i, f := range []float64{1.5, 2.5, 4.0} {
		binary.LittleEndian.PutUint64(foreign[8*i:], math.Float64bits(f))
	}
	if err := os.WriteFile(filepath.Join(shm.Dir, name), foreign, 0o600); err != nil {
		log.Fatal(err)
	}
	defer shm.Remove(name) // Python's m.unlink(), for the maker to call

	r, err := shm.OpenRaw(name)
	if err != nil {
		log.Fatal(err)
	}
	defer r.Close()
	b := r.Bytes() // shared with Python: valid until Close
	var sum float64
	for i := range 3 {
		sum += math.Float64frombits(binary.LittleEndian.Uint64(b[8*i:]))
	}
	fmt.Println(r.Size(), "bytes, sum", sum)

	_, err = shm.Open(name) // not a shmkit segment: only OpenRaw maps it
	fmt.Println(errors.Is(err, shm.ErrNotShmkit))
	// Output:
	// 4096 bytes, sum 8
	// true
}
