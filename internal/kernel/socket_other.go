//go:build !linux

package kernel

import "os"

// SocketType is the kind of a unix-domain socket pair.
type SocketType int

const (
	SocketStream SocketType = iota + 1
	SocketSeqpacket
)

func UnixSocketpair(typ SocketType) (a, b *os.File, err error) { return nil, nil, ErrUnsupported }
func TCPLoopbackPair() (client, server *os.File, err error)    { return nil, nil, ErrUnsupported }
func SetSocketBuffers(f *os.File, size int) error              { return ErrUnsupported }
func Shutdown(fd int) error                                    { return ErrUnsupported }
