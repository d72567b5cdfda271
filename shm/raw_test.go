package shm_test

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/shmkit/shmkit/shm"
)

// The other way round from python/shmkit.py: a segment Python's
// multiprocessing.shared_memory made, opened by name from Go as raw bytes.
// Python creates it and writes, Go reads and writes, Python reads Go's
// bytes and unlinks it.
func TestOpenRawFromPython(t *testing.T) {
	py, err := exec.LookPath("python3")
	if err != nil {
		if py, err = exec.LookPath("/usr/bin/python3"); err != nil {
			t.Skip("no python3: shm.OpenRaw of a Python-made segment not tested")
		}
	}
	name := fmt.Sprintf("shmkit-test-raw-%d", os.Getpid())
	t.Cleanup(func() { os.Remove(filepath.Join(shm.Dir, name)) })
	script := `
import struct, sys
from multiprocessing import shared_memory
m = shared_memory.SharedMemory(name=sys.argv[1], create=True, size=4096)
m.buf[:11] = b"from python"
struct.pack_into("<q", m.buf, 64, 1 << 40)
print("ready", flush=True)
sys.stdin.readline()  # Go has read and written
print(bytes(m.buf[200:207]).decode(), flush=True)
m.close()
m.unlink()
`
	cmd := exec.Command(py, "-c", script, name)
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() {
		stdin.Close()
		cmd.Wait()
	}()
	lines := bufio.NewReader(stdout)
	if l, err := lines.ReadString('\n'); l != "ready\n" {
		t.Fatalf("python: %q, %v\n%s", l, err, stderr.Bytes())
	}

	if _, err := shm.Open(name); !errors.Is(err, shm.ErrNotShmkit) {
		t.Errorf("Open of Python's segment: %v, want ErrNotShmkit", err)
	}
	r, err := shm.OpenRaw("/" + name) // Python's own spelling has the slash
	if err != nil {
		t.Fatal(err)
	}
	b := r.Bytes()
	if r.Size() != 4096 || len(b) != 4096 || r.Name() != name {
		t.Errorf("raw segment %q of %d bytes (%d in Bytes), want %q of 4096", r.Name(), r.Size(), len(b), name)
	}
	if string(b[:11]) != "from python" || binary.LittleEndian.Uint64(b[64:]) != 1<<40 {
		t.Errorf("Go reads %q and %d", b[:11], binary.LittleEndian.Uint64(b[64:]))
	}
	copy(b[200:], "from go")
	if err := r.Close(); err != nil {
		t.Fatal(err)
	}
	if err := r.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}

	io.WriteString(stdin, "go\n")
	l, err := lines.ReadString('\n')
	if l != "from go\n" {
		t.Fatalf("python reads %q, %v\n%s", l, err, stderr.Bytes())
	}
	stdin.Close()
	if err := cmd.Wait(); err != nil {
		t.Fatalf("python: %v\n%s", err, stderr.Bytes())
	}
	if _, err := os.Stat(filepath.Join(shm.Dir, name)); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Python's segment still there after it unlinked it: %v", err)
	}
}

func TestOpenRaw(t *testing.T) {
	// A shmkit segment opens raw too: its bytes, header and all.
	s := create(t, 4096, nil)
	r, err := shm.OpenRaw(s.Name())
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if r.Size() != s.Size() || !bytes.HasPrefix(r.Bytes(), []byte(shm.Magic)) {
		t.Errorf("raw view of a segment: %d bytes starting %q", r.Size(), r.Bytes()[:8])
	}

	empty := testName(t)
	if err := os.WriteFile(filepath.Join(shm.Dir, empty), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		want error
	}{
		{"", os.ErrInvalid},
		{"/", os.ErrInvalid},
		{"..", os.ErrInvalid},
		{"a/b", os.ErrInvalid},
		{"bad\nname", os.ErrInvalid},
		{strings.Repeat("n", shm.MaxNameLen+1), os.ErrInvalid},
		{empty, os.ErrInvalid},
		{fmt.Sprintf("shmkit-test-no-such-%d", os.Getpid()), os.ErrNotExist},
	} {
		if r, err := shm.OpenRaw(c.name); !errors.Is(err, c.want) {
			r.Close()
			t.Errorf("OpenRaw(%q) = %v, want %v", c.name, err, c.want)
		}
	}
}
