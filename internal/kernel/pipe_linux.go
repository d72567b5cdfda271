//go:build linux

package kernel

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// Descriptors for bench's kernel transports, and blocking I/O on them.
// Every descriptor made here is close-on-exec (a child gets one only when it
// is handed over explicitly, as exec.Cmd's ExtraFiles do) and blocking: the
// raw read and write below are the kernel's best path for small messages,
// without Go's netpoller; DupNonblock makes the netpoller's kind.

// Pipe returns the read and write ends of a new pipe.
func Pipe() (r, w *os.File, err error) {
	var fds [2]int
	if err := unix.Pipe2(fds[:], unix.O_CLOEXEC); err != nil {
		return nil, nil, fmt.Errorf("pipe2: %w", err)
	}
	return os.NewFile(uintptr(fds[0]), "pipe-r"), os.NewFile(uintptr(fds[1]), "pipe-w"), nil
}

// SetPipeSize asks for a pipe buffer of size bytes (F_SETPIPE_SZ) on either
// end of a pipe and returns the size the kernel granted: at least size,
// rounded up to a power of two pages. An unprivileged process may not go
// past /proc/sys/fs/pipe-max-size (EPERM).
func SetPipeSize(f *os.File, size int) (int, error) {
	var got int
	err := withFD(f, func(fd int) (err error) {
		got, err = unix.FcntlInt(uintptr(fd), unix.F_SETPIPE_SZ, size)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("fcntl(F_SETPIPE_SZ, %d): %w", size, err)
	}
	return got, nil
}

// Read reads once from a blocking descriptor into p, as read(2), retrying
// when a signal interrupts it. 0 bytes and no error is the end of file.
func Read(fd int, p []byte) (int, error) {
	for {
		n, err := unix.Read(fd, p)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("read: %w", err)
		}
		return n, nil
	}
}

// Write writes once from p to a blocking descriptor, as write(2), retrying
// when a signal interrupts it; it may write fewer than len(p) bytes.
func Write(fd int, p []byte) (int, error) {
	for {
		n, err := unix.Write(fd, p)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("write: %w", err)
		}
		return n, nil
	}
}

// DupNonblock returns a close-on-exec duplicate of f in non-blocking mode,
// made so before os.NewFile sees it: its reads and writes then park the
// goroutine in Go's netpoller, as os.Pipe's files do. f is left as it was
// (the mode is a property of the open file description, shared by every
// duplicate, so f turns non-blocking too; callers close it).
func DupNonblock(f *os.File) (*os.File, error) {
	nfd := -1
	err := withFD(f, func(fd int) (err error) {
		nfd, err = unix.FcntlInt(uintptr(fd), unix.F_DUPFD_CLOEXEC, 0)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("dup: %w", err)
	}
	if err := unix.SetNonblock(nfd, true); err != nil {
		unix.Close(nfd)
		return nil, fmt.Errorf("set non-blocking: %w", err)
	}
	return os.NewFile(uintptr(nfd), f.Name()), nil
}

// withFD runs fn on f's descriptor without changing its mode (f.Fd would
// make it blocking).
func withFD(f *os.File, fn func(fd int) error) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var ferr error
	if err := rc.Control(func(fd uintptr) { ferr = fn(int(fd)) }); err != nil {
		return err
	}
	return ferr
}
