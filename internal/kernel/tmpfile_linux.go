//go:build linux

package kernel

import (
	"fmt"
	"os"
	"strconv"

	"golang.org/x/sys/unix"
)

// OpenTmpfile opens a new unnamed regular file in directory dir
// (O_TMPFILE), readable and writable, close-on-exec, with permission perm.
// It has no name until LinkTmpfile gives it one, so if the process dies
// first the kernel frees it: nothing is left behind to clean. A file
// system (or kernel) that cannot make one yields an error wrapping
// ErrUnsupported, for the caller to fall back to a named temporary file.
func OpenTmpfile(dir string, perm os.FileMode) (*os.File, error) {
	for {
		fd, err := unix.Open(dir, unix.O_TMPFILE|unix.O_RDWR|unix.O_CLOEXEC, uint32(perm.Perm()))
		switch err {
		case nil:
			return os.NewFile(uintptr(fd), dir+"/(O_TMPFILE)"), nil
		case unix.EINTR:
			continue
		case unix.EOPNOTSUPP, unix.EISDIR, unix.EINVAL:
			// EOPNOTSUPP: the file system has no O_TMPFILE. EISDIR: a
			// kernel before 3.11 took it for O_DIRECTORY. EINVAL: flags
			// it does not know.
			return nil, fmt.Errorf("open %s with O_TMPFILE: %w: %w", dir, ErrUnsupported, err)
		default:
			return nil, fmt.Errorf("open %s with O_TMPFILE: %w", dir, err)
		}
	}
}

// LinkTmpfile gives the unnamed file f from OpenTmpfile the name path, in
// one step: it fails with EEXIST (errors.Is(err, os.ErrExist)) when path
// exists, and never replaces it. It links f's /proc/self/fd entry, which
// needs no privilege; without /proc it tries AT_EMPTY_PATH, which some
// kernels allow only with CAP_DAC_READ_SEARCH.
func LinkTmpfile(f *os.File, path string) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	var lerr error
	if err := rc.Control(func(fd uintptr) { lerr = linkFd(int(fd), path) }); err != nil {
		return err
	}
	if lerr != nil {
		return fmt.Errorf("linkat %s: %w", path, lerr)
	}
	return nil
}

func linkFd(fd int, path string) error {
	err := unix.Linkat(unix.AT_FDCWD, "/proc/self/fd/"+strconv.Itoa(fd), unix.AT_FDCWD, path, unix.AT_SYMLINK_FOLLOW)
	if err != unix.ENOENT {
		return err
	}
	if _, serr := os.Stat("/proc/self/fd"); serr == nil {
		return err // /proc is there: the target's directory is missing
	}
	return unix.Linkat(fd, "", unix.AT_FDCWD, path, unix.AT_EMPTY_PATH)
}
