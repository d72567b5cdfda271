package bench

import (
	"context"
	"fmt"
	"os"

	"github.com/shmkit/shmkit/internal/kernel"
)

// The kernel transports: descriptors made in the parent (through package
// kernel, like every system call of bench), one set per end,
// passed to children with process.WithFiles. Sockets are driven with raw
// blocking system calls (their best case); os-pipe goes through Go's
// netpoller, as os.Pipe users get; pipe-raw is a pipe with raw calls.

var _ = []*transport{
	addTransport(&transport{name: "os-pipe", batch: true, fanin: true, faninMax: pipeBuf, open: openPipes,
		end: func(_ context.Context, _ endSpec, fs []*os.File) (Conn, error) { return newFileConn(fs) }}),
	addTransport(&transport{name: "pipe-raw", batch: true, fanin: true, faninMax: pipeBuf, open: openPipes,
		end: func(_ context.Context, _ endSpec, fs []*os.File) (Conn, error) {
			return newRawConn(fs, false, false), nil
		}}),
	addTransport(&transport{name: "unix-stream", batch: true, fanin: true, faninMax: pipeBuf,
		open: func(c Case) (*link, error) { return openSocketpair(c, kernel.SocketStream) },
		end: func(_ context.Context, _ endSpec, fs []*os.File) (Conn, error) {
			return newRawConn(fs, true, false), nil
		}}),
	addTransport(&transport{name: "unix-seqpacket", fanin: true, maxDatagram: maxDatagram,
		open: func(c Case) (*link, error) { return openSocketpair(c, kernel.SocketSeqpacket) },
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

// pipeBuf is PIPE_BUF on Linux: the largest write to a pipe that no other
// writer's bytes can interleave with. Past it, two fanin producers
// sharing a byte stream tear each other's messages (1 MiB over unix-stream
// failed every round).
const pipeBuf = 4096

// maxDatagram is the largest unix-seqpacket message the suite sends. The
// kernel allocates a datagram's body in one piece (all but 68 KiB of it),
// and no such piece is over 4 MiB: 16 MiB messages failed every time with
// ENOBUFS, whatever the socket's buffer, and a few MiB depend on free
// memory not being fragmented.
const maxDatagram = 1 << 20

// pipeSize is the pipe buffer asked for: room for large messages, as a
// tuned program would ask (the default is 64 KiB; 1 MiB is the default
// /proc/sys/fs/pipe-max-size, the most an unprivileged process may ask).
const pipeSize = 1 << 20

// openPipes makes two pipes: A writes to B on the first, B to A on the
// second. Each end's files are (read, write). A pipe buffer smaller than
// pipeSize fails the case, rather than measure a different pipe than the
// one the results describe.
func openPipes(c Case) (_ *link, err error) {
	var fs []*os.File
	defer func() {
		if err != nil {
			closeAll(fs)
		}
	}()
	for range 2 {
		r, w, err := kernel.Pipe()
		if err != nil {
			return nil, err
		}
		fs = append(fs, r, w)
		got, err := kernel.SetPipeSize(w, pipeSize)
		if err != nil {
			return nil, fmt.Errorf("pipe buffer: %w", err)
		}
		if got < pipeSize {
			return nil, fmt.Errorf("pipe buffer: asked for %d bytes, got %d", pipeSize, got)
		}
	}
	abR, abW, baR, baW := fs[0], fs[1], fs[2], fs[3]
	return &link{files: [2][]*os.File{{baR, abW}, {abR, baW}}}, nil
}

func openSocketpair(c Case, typ kernel.SocketType) (*link, error) {
	a, b, err := kernel.UnixSocketpair(typ)
	if err != nil {
		return nil, err
	}
	if err := raiseBuffers(c, a, b); err != nil {
		closeAll([]*os.File{a, b})
		return nil, err
	}
	return &link{files: [2][]*os.File{{a}, {b}}}, nil
}

// raiseBuffers makes room in each socket for a send of the case's largest
// write: a seqpacket send of 1 MiB fails with EMSGSIZE under the default
// buffer.
func raiseBuffers(c Case, socks ...*os.File) error {
	want := max(4<<20, 2*c.Size*max(c.Batch, 1))
	for _, f := range socks {
		if err := kernel.SetSocketBuffers(f, want); err != nil {
			return err
		}
	}
	return nil
}

// openTCP connects two sockets over 127.0.0.1 with Nagle off.
func openTCP(c Case) (*link, error) {
	a, b, err := kernel.TCPLoopbackPair()
	if err != nil {
		return nil, err
	}
	if err := raiseBuffers(c, a, b); err != nil {
		closeAll([]*os.File{a, b})
		return nil, err
	}
	return &link{files: [2][]*os.File{{a}, {b}}}, nil
}

func closeAll(fs []*os.File) {
	for _, f := range fs {
		f.Close()
	}
}
