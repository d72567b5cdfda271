package bench

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"

	"github.com/shmkit/shmkit/internal/kernel"
)

// Conn is one end of a transport, as a scenario body sees it. Send writes
// whole messages (one, or a batch of several back to back); Recv reads
// exactly len(p) bytes of whole messages. Abort may be called from another
// goroutine to make blocked calls on both ends fail (a hung or failed peer);
// Close releases the end.
type Conn interface {
	Send(p []byte) error
	Recv(p []byte) error
	Abort()
	Close() error
}

// rawConn moves bytes with blocking read and write system calls on plain
// descriptors: no netpoller, no goroutine parking — the kernel's best path
// for small messages, and what a C program would do.
type rawConn struct {
	rfd, wfd int
	packet   bool // seqpacket: one read is one whole message
	socket   bool
	files    []*os.File // owners of rfd and wfd
	once     sync.Once
}

func newRawConn(files []*os.File, socket, packet bool) *rawConn {
	c := &rawConn{files: files, socket: socket, packet: packet}
	c.rfd = int(files[0].Fd()) // Fd puts the descriptor in blocking mode
	c.wfd = int(files[len(files)-1].Fd())
	return c
}

func (c *rawConn) Send(p []byte) error {
	for len(p) > 0 {
		n, err := kernel.Write(c.wfd, p)
		if err != nil {
			return err
		}
		if c.packet && n != len(p) {
			return fmt.Errorf("short packet write: %d of %d bytes", n, len(p))
		}
		p = p[n:]
	}
	return nil
}

func (c *rawConn) Recv(p []byte) error {
	for len(p) > 0 {
		n, err := kernel.Read(c.rfd, p)
		if err != nil {
			return err
		}
		if n == 0 {
			return fmt.Errorf("read: %w", io.ErrUnexpectedEOF)
		}
		if c.packet && n != len(p) {
			return fmt.Errorf("packet of %d bytes, want %d: %w", n, len(p), ErrCorrupt)
		}
		p = p[n:]
	}
	return nil
}

// Abort shuts sockets down (waking blocked calls on both ends) and closes
// pipe descriptors (the peer's blocked read sees end of file).
func (c *rawConn) Abort() {
	if c.socket {
		// A failed shutdown leaves the peer's calls blocked, but every
		// party is bounded by the case's timeout, and the session kills
		// children that outlive it; so the error has nowhere better to go.
		_ = kernel.Shutdown(c.rfd)
		return
	}
	c.Close()
}

func (c *rawConn) Close() error {
	var err error
	c.once.Do(func() {
		for _, f := range c.files {
			err = errors.Join(err, f.Close())
		}
	})
	return err
}

// fileConn goes through Go's os.File on a non-blocking descriptor: reads
// and writes park the goroutine in the netpoller, as os.Pipe users get.
type fileConn struct {
	r, w *os.File
}

// newFileConn re-opens each file on a non-blocking duplicate of its
// descriptor, so that os.NewFile registers it with the netpoller (files
// inherited from a parent arrive blocking).
func newFileConn(files []*os.File) (*fileConn, error) {
	var nb []*os.File
	for _, f := range files {
		d, err := kernel.DupNonblock(f)
		f.Close()
		if err != nil {
			for _, o := range nb {
				o.Close()
			}
			return nil, err
		}
		nb = append(nb, d)
	}
	return &fileConn{r: nb[0], w: nb[len(nb)-1]}, nil
}

func (c *fileConn) Send(p []byte) error {
	_, err := c.w.Write(p)
	return err
}

func (c *fileConn) Recv(p []byte) error {
	_, err := io.ReadFull(c.r, p)
	return err
}

func (c *fileConn) Abort() { c.Close() }

func (c *fileConn) Close() error {
	err := c.r.Close()
	if c.w != c.r {
		err = errors.Join(err, c.w.Close())
	}
	if errors.Is(err, os.ErrClosed) {
		return nil
	}
	return err
}

// abortOnDone aborts c when ctx ends. The returned release stops that, or
// waits for an abort already under way, so that the caller may then free
// what c points into (a shared segment being unmapped).
func abortOnDone(ctx context.Context, c Conn) (release func()) {
	done := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		defer close(done)
		c.Abort()
	})
	return func() {
		if !stop() {
			<-done
		}
	}
}
