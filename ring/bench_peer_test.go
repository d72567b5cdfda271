package ring_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"os"
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"

	"github.com/shmkit/shmkit/process"
	"github.com/shmkit/shmkit/ring"
	"github.com/shmkit/shmkit/shm"
)

// The benchmarks' child side. The parent starts one peer per benchmark
// call; the peer attaches, counts itself ready in the control block, waits
// for go, runs its part and counts itself done.

type peerArg struct {
	Role   string
	Ctl    shm.Handle
	R, R2  *ring.Ring
	Q      *ring.MPMC
	N      int
	Size   int
	Batch  int
	Mode   ring.Mode
	Prod   int
	Shared shm.Handle // cache-line ping-pong word
}

// ctl is the control block: ready, go and done counters on their own lines.
type ctl struct{ b []byte }

func (c ctl) word(i int) *atomic.Uint32 { return (*atomic.Uint32)(unsafe.Pointer(&c.b[i*128])) }
func (c ctl) ready() *atomic.Uint32     { return c.word(0) }
func (c ctl) start() *atomic.Uint32     { return c.word(1) }
func (c ctl) done() *atomic.Uint32      { return c.word(2) }

func attachCtl(h shm.Handle) ctl {
	o, err := shm.Attach(h, shm.KindBytes, 0)
	if err != nil {
		panic(err)
	}
	return ctl{o.Bytes()}
}

// stamp writes seq into the first and last 8 bytes of m (len >= 8).
// Messages of 8 bytes carry seq only.
func stamp(m []byte, seq uint64) {
	binary.LittleEndian.PutUint64(m, seq)
	if len(m) >= 16 {
		binary.LittleEndian.PutUint64(m[len(m)-8:], ^seq)
	}
}

func checkStamp(m []byte, seq uint64) error {
	if len(m) < 8 || binary.LittleEndian.Uint64(m) != seq || len(m) >= 16 && binary.LittleEndian.Uint64(m[len(m)-8:]) != ^seq {
		return fmt.Errorf("message %d: bad stamp (%d bytes)", seq, len(m))
	}
	return nil
}

var peerTask = process.Register("ring.benchpeer", func(ctx context.Context, a peerArg) (struct{}, error) {
	c := attachCtl(a.Ctl)
	c.ready().Add(1)
	for c.start().Load() == 0 {
		time.Sleep(20 * time.Microsecond)
	}
	ctx = ring.WithMode(ctx, a.Mode)
	err := runPeer(ctx, a)
	c.done().Add(1)
	return struct{}{}, err
})

func runPeer(ctx context.Context, a peerArg) error {
	buf := make([]byte, max(a.Size, 64))
	switch a.Role {
	case "spsc-read": // stream consumer: copy out and check every message
		for i := range a.N {
			n, err := a.R.Read(ctx, buf)
			if err != nil {
				return err
			}
			if err := checkStamp(buf[:n], uint64(i)); err != nil {
				return err
			}
		}
	case "spsc-readbatch": // zero-copy consumer, releases per batch
		var bad error
		for i := 0; i < a.N; {
			_, err := a.R.ReadBatch(ctx, 0, func(rec []byte) {
				if err := checkStamp(rec, uint64(i)); err != nil && bad == nil {
					bad = err
				}
				i++
			})
			if err != nil {
				return err
			}
		}
		return bad
	case "spsc-echo": // ping-pong: read on R, write back on R2
		for range a.N {
			n, err := a.R.Read(ctx, buf)
			if err != nil {
				return err
			}
			if err := a.R2.Write(ctx, buf[:n]); err != nil {
				return err
			}
		}
	case "pipe-read":
		f := process.Files()[0]
		fd := int(f.Fd())
		for i := range a.N {
			if err := readFull(fd, buf[:a.Size]); err != nil {
				return err
			}
			if err := checkStamp(buf[:a.Size], uint64(i)); err != nil {
				return err
			}
		}
	case "pipe-echo":
		in, out := int(process.Files()[0].Fd()), int(process.Files()[1].Fd())
		for range a.N {
			if err := readFull(in, buf[:a.Size]); err != nil {
				return err
			}
			if _, err := syscall.Write(out, buf[:a.Size]); err != nil {
				return err
			}
		}
	case "cacheline-echo": // bare cache-line round trip: odd → even
		o, err := shm.Attach(a.Shared, shm.KindBytes, 0)
		if err != nil {
			return err
		}
		w := (*atomic.Uint64)(unsafe.Pointer(&o.Bytes()[0]))
		for i := range uint64(a.N) {
			for w.Load() != 2*i+1 {
			}
			w.Store(2*i + 2)
		}
	case "mpmc-put":
		for i := range a.N {
			stamp(buf[:a.Size], uint64(i)<<8|uint64(a.Prod))
			if err := a.Q.Put(ctx, buf[:a.Size]); err != nil {
				return err
			}
		}
	case "mpmc-get":
		for range a.N {
			n, err := a.Q.Get(ctx, buf)
			if err != nil {
				return err
			}
			seq := binary.LittleEndian.Uint64(buf)
			if err := checkStamp(buf[:n], seq); err != nil {
				return err
			}
		}
	default:
		return fmt.Errorf("unknown role %q", a.Role)
	}
	return nil
}

// readFull reads len(b) bytes from a blocking descriptor.
func readFull(fd int, b []byte) error {
	for len(b) > 0 {
		n, err := syscall.Read(fd, b)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		if n == 0 {
			return os.ErrClosed
		}
		b = b[n:]
	}
	return nil
}

func writeAll(fd int, b []byte) error {
	for len(b) > 0 {
		n, err := syscall.Write(fd, b)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			return err
		}
		b = b[n:]
	}
	return nil
}
