//go:build linux

package kernel

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// SocketType is the kind of a unix-domain socket pair.
type SocketType int

const (
	// SocketStream is a byte stream (SOCK_STREAM).
	SocketStream SocketType = unix.SOCK_STREAM
	// SocketSeqpacket keeps message boundaries (SOCK_SEQPACKET): one read
	// is one whole message.
	SocketSeqpacket SocketType = unix.SOCK_SEQPACKET
)

// UnixSocketpair returns two connected unix-domain sockets of type typ,
// blocking and close-on-exec.
func UnixSocketpair(typ SocketType) (a, b *os.File, err error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, int(typ)|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("socketpair: %w", err)
	}
	return os.NewFile(uintptr(fds[0]), "socket-a"), os.NewFile(uintptr(fds[1]), "socket-b"), nil
}

// TCPLoopbackPair returns the two ends of a TCP connection over 127.0.0.1,
// blocking, close-on-exec and with Nagle's algorithm off on both.
func TCPLoopbackPair() (client, server *os.File, err error) {
	ln, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("socket: %w", err)
	}
	defer unix.Close(ln)
	if err := unix.Bind(ln, &unix.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		return nil, nil, fmt.Errorf("bind 127.0.0.1: %w", err)
	}
	if err := unix.Listen(ln, 1); err != nil {
		return nil, nil, fmt.Errorf("listen: %w", err)
	}
	sa, err := unix.Getsockname(ln)
	if err != nil {
		return nil, nil, fmt.Errorf("getsockname: %w", err)
	}
	cl, err := unix.Socket(unix.AF_INET, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("socket: %w", err)
	}
	if err := unix.Connect(cl, sa); err != nil {
		unix.Close(cl)
		return nil, nil, fmt.Errorf("connect: %w", err)
	}
	sv, _, err := unix.Accept4(ln, unix.SOCK_CLOEXEC)
	if err != nil {
		unix.Close(cl)
		return nil, nil, fmt.Errorf("accept: %w", err)
	}
	for _, fd := range []int{cl, sv} {
		if err := unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1); err != nil {
			unix.Close(cl)
			unix.Close(sv)
			return nil, nil, fmt.Errorf("TCP_NODELAY: %w", err)
		}
	}
	return os.NewFile(uintptr(cl), "tcp-a"), os.NewFile(uintptr(sv), "tcp-b"), nil
}

// SetSocketBuffers asks for send and receive buffers of size bytes on
// socket f: SO_SNDBUFFORCE and SO_RCVBUFFORCE pass the sysctl caps where
// the process is privileged; otherwise SO_SNDBUF and SO_RCVBUF, which the
// kernel caps silently at net.core.wmem_max and rmem_max.
func SetSocketBuffers(f *os.File, size int) error {
	return withFD(f, func(fd int) error {
		for _, o := range [][2]int{{unix.SO_SNDBUFFORCE, unix.SO_SNDBUF}, {unix.SO_RCVBUFFORCE, unix.SO_RCVBUF}} {
			if unix.SetsockoptInt(fd, unix.SOL_SOCKET, o[0], size) == nil {
				continue
			}
			if err := unix.SetsockoptInt(fd, unix.SOL_SOCKET, o[1], size); err != nil {
				return fmt.Errorf("socket buffer of %d bytes: %w", size, err)
			}
		}
		return nil
	})
}

// Shutdown shuts both directions of socket fd down: calls blocked on it, in
// this process or its peer's, return.
func Shutdown(fd int) error {
	if err := unix.Shutdown(fd, unix.SHUT_RDWR); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	return nil
}
