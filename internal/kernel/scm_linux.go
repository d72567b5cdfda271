//go:build linux

package kernel

import (
	"errors"
	"fmt"
	"os"
	"runtime"

	"golang.org/x/sys/unix"
)

// Passing descriptors between running processes (SCM_RIGHTS over a
// unix-domain socket): how package process hands a spare child the files
// of its task, which an exec would otherwise have inherited.

// MaxPassFDs is the most descriptors one message can carry (the kernel's
// SCM_MAX_FD).
const MaxPassFDs = 253

// ChildSocketpair returns a connected pair of unix stream sockets, both
// close-on-exec: parent's end is non-blocking, so that its reads and
// writes park in Go's netpoller and honour deadlines; child's end is
// blocking, for a child to inherit (exec.Cmd's ExtraFiles) and read from
// one thread.
func ChildSocketpair() (parent, child *os.File, err error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("socketpair: %w", err)
	}
	if err := unix.SetNonblock(fds[0], true); err != nil {
		unix.Close(fds[0])
		unix.Close(fds[1])
		return nil, nil, fmt.Errorf("socketpair: set non-blocking: %w", err)
	}
	return os.NewFile(uintptr(fds[0]), "socket-parent"), os.NewFile(uintptr(fds[1]), "socket-child"), nil
}

// SendFDs sends b on the unix stream socket sock in one sendmsg, with the
// descriptors of files attached (SCM_RIGHTS: the receiver gets duplicates;
// the caller keeps its files). It returns how many bytes of b went; the
// descriptors went with the first of them, and the caller writes the rest
// as ordinary data. On a non-blocking socket it waits for room as the
// socket's write deadline allows. It never raises SIGPIPE: a peer that is
// gone is an error wrapping EPIPE or ECONNRESET.
func SendFDs(sock *os.File, b []byte, files []*os.File) (int, error) {
	if len(files) > MaxPassFDs {
		return 0, fmt.Errorf("passing %d descriptors: over %d: %w", len(files), MaxPassFDs, unix.EINVAL)
	}
	if len(b) == 0 && len(files) > 0 {
		return 0, fmt.Errorf("passing descriptors without data: %w", unix.EINVAL)
	}
	fds := make([]int, 0, len(files))
	for _, f := range files {
		rc, err := f.SyscallConn()
		if err != nil {
			return 0, fmt.Errorf("passing %s: %w", f.Name(), err)
		}
		// Control, not Fd: Fd would switch a non-blocking file to blocking.
		if err := rc.Control(func(fd uintptr) { fds = append(fds, int(fd)) }); err != nil {
			return 0, fmt.Errorf("passing %s: %w", f.Name(), err)
		}
	}
	var oob []byte
	if len(fds) > 0 {
		oob = unix.UnixRights(fds...)
	}
	rc, err := sock.SyscallConn()
	if err != nil {
		return 0, err
	}
	var n int
	var serr error
	err = rc.Write(func(fd uintptr) bool {
		for {
			n, serr = unix.SendmsgN(int(fd), b, oob, nil, unix.MSG_NOSIGNAL)
			if serr != unix.EINTR {
				return serr != unix.EAGAIN // EAGAIN: wait for room (non-blocking sockets only)
			}
		}
	})
	runtime.KeepAlive(files) // their descriptors stay open until sent
	if err == nil {
		err = serr
	}
	if err != nil {
		return 0, fmt.Errorf("sendmsg: %w", err)
	}
	return n, nil
}

// RecvFDs reads once from the unix stream socket sock into b (recvmsg)
// and returns the bytes read and the descriptors that came with them,
// close-on-exec, at most maxFDs of them. 0 bytes and no error is the end
// of the stream. Descriptors the sender attached beyond maxFDs are lost
// and reported as an error (the others are closed).
func RecvFDs(sock *os.File, b []byte, maxFDs int) (int, []*os.File, error) {
	rc, err := sock.SyscallConn()
	if err != nil {
		return 0, nil, err
	}
	oob := make([]byte, unix.CmsgSpace(4*max(maxFDs, 1)))
	var n, oobn, flags int
	var rerr error
	err = rc.Read(func(fd uintptr) bool {
		for {
			n, oobn, flags, _, rerr = unix.Recvmsg(int(fd), b, oob, unix.MSG_CMSG_CLOEXEC)
			if rerr != unix.EINTR {
				return rerr != unix.EAGAIN
			}
		}
	})
	if err == nil {
		err = rerr
	}
	if err != nil {
		return 0, nil, fmt.Errorf("recvmsg: %w", err)
	}
	fds, perr := parseRights(oob[:oobn])
	files := make([]*os.File, 0, len(fds))
	for _, fd := range fds {
		files = append(files, os.NewFile(uintptr(fd), "passed-fd"))
	}
	if perr == nil && flags&unix.MSG_CTRUNC != 0 {
		perr = fmt.Errorf("recvmsg: more than %d descriptors: %w", maxFDs, unix.EMSGSIZE)
	}
	if perr != nil {
		for _, f := range files {
			f.Close()
		}
		return 0, nil, perr
	}
	return n, files, nil
}

func parseRights(oob []byte) ([]int, error) {
	if len(oob) == 0 {
		return nil, nil
	}
	msgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil {
		return nil, fmt.Errorf("recvmsg: control message: %w", err)
	}
	var fds []int
	var errs []error
	for _, m := range msgs {
		got, err := unix.ParseUnixRights(&m)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		fds = append(fds, got...)
	}
	if len(errs) > 0 {
		for _, fd := range fds {
			unix.Close(fd)
		}
		return nil, fmt.Errorf("recvmsg: control message: %w", errors.Join(errs...))
	}
	return fds, nil
}
