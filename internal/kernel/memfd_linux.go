//go:build linux

package kernel

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// MemfdCreate returns an anonymous memory file of the given size, close-on-
// exec and sealed against shrinking and growing: a process that maps it can
// never be handed a SIGBUS by another that truncates it. The kernel frees
// its memory when the last descriptor and mapping go, even after kill -9.
func MemfdCreate(name string, size int64) (*os.File, error) {
	fd, err := unix.MemfdCreate(name, unix.MFD_CLOEXEC|unix.MFD_ALLOW_SEALING)
	if err != nil {
		return nil, fmt.Errorf("memfd_create: %w", err)
	}
	f := os.NewFile(uintptr(fd), "memfd:"+name)
	if err := f.Truncate(size); err != nil {
		f.Close()
		return nil, fmt.Errorf("memfd size %d: %w", size, err)
	}
	seals := unix.F_SEAL_SHRINK | unix.F_SEAL_GROW | unix.F_SEAL_SEAL
	if _, err := unix.FcntlInt(f.Fd(), unix.F_ADD_SEALS, seals); err != nil {
		f.Close()
		return nil, fmt.Errorf("memfd seals: %w", err)
	}
	return f, nil
}

// IsMemfd reports whether f is a memfd sealed against shrinking, the only
// kind of anonymous segment shmkit maps from an inherited descriptor.
func IsMemfd(f *os.File) bool {
	seals, err := unix.FcntlInt(f.Fd(), unix.F_GET_SEALS, 0)
	return err == nil && seals&unix.F_SEAL_SHRINK != 0
}

// FreeBytes reports the space available to an unprivileged writer, and the
// total size, of the file system holding path (a tmpfs such as /dev/shm).
func FreeBytes(path string) (free, total uint64, err error) {
	var st unix.Statfs_t
	if err := unix.Statfs(path, &st); err != nil {
		return 0, 0, fmt.Errorf("statfs %s: %w", path, err)
	}
	return st.Bavail * uint64(st.Bsize), st.Blocks * uint64(st.Bsize), nil
}

// Fallocate reserves size bytes for f, so that a full tmpfs fails here with
// ENOSPC instead of later with a SIGBUS on first touch of a page.
func Fallocate(f *os.File, size int64) error {
	for {
		err := unix.Fallocate(int(f.Fd()), 0, 0, size)
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return fmt.Errorf("fallocate %d bytes: %w", size, err)
		}
		return nil
	}
}

// IsNoSpace reports whether err is the kernel saying a file system is full.
func IsNoSpace(err error) bool {
	return err != nil && (errorIs(err, unix.ENOSPC) || errorIs(err, unix.ENOMEM))
}

// Dup duplicates f's descriptor with close-on-exec set (exec.Cmd's
// ExtraFiles clears it in the child).
func Dup(f *os.File) (*os.File, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return nil, err
	}
	nfd := -1
	var derr error
	if err := rc.Control(func(fd uintptr) {
		nfd, derr = unix.FcntlInt(fd, unix.F_DUPFD_CLOEXEC, 0)
	}); err != nil {
		return nil, err
	}
	if derr != nil {
		return nil, fmt.Errorf("dup: %w", derr)
	}
	return os.NewFile(uintptr(nfd), f.Name()), nil
}

// CloseOnExec marks descriptor fd close-on-exec, so an inherited
// descriptor does not leak further into grandchildren.
func CloseOnExec(fd uintptr) { unix.CloseOnExec(int(fd)) }
