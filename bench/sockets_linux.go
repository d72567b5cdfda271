package bench

import (
	"context"
	"fmt"
	"os"
	"syscall"
)

// The kernel transports: descriptors made in the parent, one set per end,
// passed to children with process.WithFiles. Sockets are driven with raw
// blocking system calls (their best case); os-pipe goes through Go's
// netpoller, as os.Pipe users get; pipe-raw is a pipe with raw calls.

var _ = []*transport{
	addTransport(&transport{name: "os-pipe", batch: true, fanin: true, open: openPipes,
		end: func(_ context.Context, _ endSpec, fs []*os.File) (Conn, error) { return newFileConn(fs) }}),
	addTransport(&transport{name: "pipe-raw", batch: true, fanin: true, open: openPipes,
		end: func(_ context.Context, _ endSpec, fs []*os.File) (Conn, error) {
			return newRawConn(fs, false, false), nil
		}}),
	addTransport(&transport{name: "unix-stream", batch: true, fanin: true,
		open: func(c Case) (*link, error) { return openSocketpair(c, syscall.SOCK_STREAM) },
		end: func(_ context.Context, _ endSpec, fs []*os.File) (Conn, error) {
			return newRawConn(fs, true, false), nil
		}}),
	addTransport(&transport{name: "unix-seqpacket", fanin: true,
		open: func(c Case) (*link, error) { return openSocketpair(c, syscall.SOCK_SEQPACKET) },
		end: func(_ context.Context, _ endSpec, fs []*os.File) (Conn, error) {
			return newRawConn(fs, true, true), nil
		}}),
	// tcp-loopback stays out of fanin: two readers of one TCP stream may
	// split a message between them.
	addTransport(&transport{name: "tcp-loopback", batch: true, open: openTCP,
		end: func(_ context.Context, _ endSpec, fs []*os.File) (Conn, error) {
			return newRawConn(fs, true, false), nil
		}}),
}

// openPipes makes two pipes: A writes to B on the first, B to A on the
// second. Each end's files are (read, write).
func openPipes(c Case) (*link, error) {
	var ab, ba [2]int
	if err := syscall.Pipe2(ab[:], syscall.O_CLOEXEC); err != nil {
		return nil, fmt.Errorf("pipe: %w", err)
	}
	if err := syscall.Pipe2(ba[:], syscall.O_CLOEXEC); err != nil {
		syscall.Close(ab[0])
		syscall.Close(ab[1])
		return nil, fmt.Errorf("pipe: %w", err)
	}
	// A larger pipe buffer for large messages, as a tuned program would
	// ask (F_SETPIPE_SZ; capped by /proc/sys/fs/pipe-max-size, errors
	// ignored: the default 64 KiB still works).
	for _, fd := range []int{ab[1], ba[1]} {
		syscall.Syscall(syscall.SYS_FCNTL, uintptr(fd), 1031 /* F_SETPIPE_SZ */, 1<<20)
	}
	l := &link{files: [2][]*os.File{
		{os.NewFile(uintptr(ba[0]), "pipe-a-r"), os.NewFile(uintptr(ab[1]), "pipe-a-w")},
		{os.NewFile(uintptr(ab[0]), "pipe-b-r"), os.NewFile(uintptr(ba[1]), "pipe-b-w")},
	}}
	return l, nil
}

func openSocketpair(c Case, typ int) (*link, error) {
	fds, err := syscall.Socketpair(syscall.AF_UNIX, typ|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("socketpair: %w", err)
	}
	for _, fd := range fds {
		raiseBuffers(fd, c.Size*max(c.Batch, 1))
	}
	return &link{files: [2][]*os.File{
		{os.NewFile(uintptr(fds[0]), "socket-a")},
		{os.NewFile(uintptr(fds[1]), "socket-b")},
	}}, nil
}

// raiseBuffers makes room for messages of size bytes: a seqpacket send of
// 1 MiB fails with EMSGSIZE under the default buffer. SO_SNDBUFFORCE
// passes the sysctl cap when privileged; SO_SNDBUF otherwise.
func raiseBuffers(fd, size int) {
	want := max(4<<20, 2*size)
	if syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_SNDBUFFORCE, want) != nil {
		syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_SNDBUF, want)
	}
	if syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_RCVBUFFORCE, want) != nil {
		syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_RCVBUF, want)
	}
}

// openTCP connects two sockets over 127.0.0.1 with Nagle off.
func openTCP(c Case) (*link, error) {
	ln, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("socket: %w", err)
	}
	defer syscall.Close(ln)
	lo := &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}
	if err := syscall.Bind(ln, lo); err != nil {
		return nil, fmt.Errorf("bind 127.0.0.1: %w", err)
	}
	if err := syscall.Listen(ln, 1); err != nil {
		return nil, fmt.Errorf("listen: %w", err)
	}
	sa, err := syscall.Getsockname(ln)
	if err != nil {
		return nil, fmt.Errorf("getsockname: %w", err)
	}
	cl, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("socket: %w", err)
	}
	if err := syscall.Connect(cl, sa); err != nil {
		syscall.Close(cl)
		return nil, fmt.Errorf("connect: %w", err)
	}
	sv, _, err := syscall.Accept4(ln, syscall.SOCK_CLOEXEC)
	if err != nil {
		syscall.Close(cl)
		return nil, fmt.Errorf("accept: %w", err)
	}
	for _, fd := range []int{cl, sv} {
		syscall.SetsockoptInt(fd, syscall.IPPROTO_TCP, syscall.TCP_NODELAY, 1)
		raiseBuffers(fd, c.Size*max(c.Batch, 1))
	}
	return &link{files: [2][]*os.File{
		{os.NewFile(uintptr(cl), "tcp-a")},
		{os.NewFile(uintptr(sv), "tcp-b")},
	}}, nil
}
