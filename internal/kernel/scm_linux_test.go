//go:build linux

package kernel

import (
	"errors"
	"io"
	"os"
	"syscall"
	"testing"
	"time"
)

// Descriptors sent with SendFDs arrive with RecvFDs as working
// duplicates, with the bytes they were sent with.
func TestSendRecvFDs(t *testing.T) {
	parent, child, err := ChildSocketpair()
	if err != nil {
		t.Fatal(err)
	}
	defer parent.Close()
	defer child.Close()
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	n, err := SendFDs(parent, []byte("hello, spare"), []*os.File{w, w})
	w.Close()
	if err != nil || n != len("hello, spare") {
		t.Fatalf("SendFDs = %d, %v", n, err)
	}
	buf := make([]byte, 64)
	n, files, err := RecvFDs(child, buf, MaxPassFDs)
	if err != nil || string(buf[:n]) != "hello, spare" || len(files) != 2 {
		t.Fatalf("RecvFDs = %q, %d files, %v", buf[:n], len(files), err)
	}
	for _, f := range files {
		if _, err := f.WriteString("x"); err != nil {
			t.Fatal(err)
		}
		f.Close()
	}
	got, err := io.ReadAll(r) // every write end is closed now
	if err != nil || string(got) != "xx" {
		t.Fatalf("read %q, %v through the passed descriptors", got, err)
	}
}

// More descriptors than the receiver takes are an error, and none leaks;
// too many to send is refused; a peer gone is EPIPE, not SIGPIPE.
func TestSendRecvFDsLimits(t *testing.T) {
	parent, child, err := ChildSocketpair()
	if err != nil {
		t.Fatal(err)
	}
	defer parent.Close()
	f, err := os.Open("/dev/null")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := SendFDs(parent, []byte("x"), []*os.File{f, f, f}); err != nil {
		t.Fatal(err)
	}
	if _, files, err := RecvFDs(child, make([]byte, 8), 1); err == nil || files != nil {
		t.Fatalf("RecvFDs of 3 descriptors, room for 1: %d files, %v", len(files), err)
	}
	many := make([]*os.File, MaxPassFDs+1)
	for i := range many {
		many[i] = f
	}
	if _, err := SendFDs(parent, []byte("x"), many); !errors.Is(err, syscall.EINVAL) {
		t.Fatalf("SendFDs of %d descriptors = %v", len(many), err)
	}
	child.Close()
	if _, err := SendFDs(parent, []byte("x"), []*os.File{f}); !errors.Is(err, syscall.EPIPE) && !errors.Is(err, syscall.ECONNRESET) {
		t.Fatalf("SendFDs to a closed peer = %v", err)
	}
}

// DupTo makes a descriptor number refer to a file; NonblockFile makes one
// pollable (a read deadline works on it).
func TestDupToAndNonblockFile(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close()
	spare, err := os.Open("/dev/null")
	if err != nil {
		t.Fatal(err)
	}
	fd := int(spare.Fd())
	if err := DupTo(w, fd); err != nil {
		t.Fatal(err)
	}
	if _, err := spare.WriteString("via dup"); err != nil { // fd now is the pipe's write end
		t.Fatal(err)
	}
	spare.Close()
	buf := make([]byte, 16)
	if n, _ := r.Read(buf); string(buf[:n]) != "via dup" {
		t.Fatalf("read %q", buf[:n])
	}
	a, b, err := ChildSocketpair()
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	nfd, err := syscall.Dup(int(b.Fd()))
	b.Close()
	if err != nil {
		t.Fatal(err)
	}
	nb, err := NonblockFile(uintptr(nfd), "nonblock")
	if err != nil {
		t.Fatal(err)
	}
	defer nb.Close()
	if err := nb.SetReadDeadline(time.Unix(1, 0)); err != nil {
		t.Fatalf("deadline on a NonblockFile: %v", err)
	}
	if _, err := nb.Read(buf); !errors.Is(err, os.ErrDeadlineExceeded) {
		t.Fatalf("read past the deadline = %v", err)
	}
}
