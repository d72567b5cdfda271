//go:build !linux

package kernel

import "os"

const MaxPassFDs = 253

func ChildSocketpair() (parent, child *os.File, err error)           { return nil, nil, ErrUnsupported }
func SendFDs(sock *os.File, b []byte, files []*os.File) (int, error) { return 0, ErrUnsupported }
func RecvFDs(sock *os.File, b []byte, maxFDs int) (int, []*os.File, error) {
	return 0, nil, ErrUnsupported
}
