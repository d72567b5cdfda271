package ring_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"sync/atomic"
	"unsafe"

	"github.com/shmkit/shmkit/process"
	"github.com/shmkit/shmkit/ring"
	"github.com/shmkit/shmkit/shm"
)

// Child roles of the cross-process tests. Messages carry producer id,
// sequence and an xxhash of their payload (see mkMsg); consumers mark each
// (producer, sequence) in a shared bitmap, so duplicates are caught across
// processes.

type produceArg struct {
	R        *ring.Ring
	Q        *ring.MPMC
	Prod     int
	N        int // messages; 0 = until killed
	MinSize  int
	MaxSize  int
	Batch    int // Ring: records per WriteBatch
	Seed     uint64
	CloseEnd bool // Ring: close after the last message
}

type consumeArg struct {
	Q    *ring.MPMC
	Seen shm.Handle
	NP   int
	N    int // messages per producer (bitmap geometry)
}

type hangArg struct {
	Q    *ring.MPMC
	R    *ring.Ring
	Flag shm.Handle
}

var (
	produceTask = process.Register("ring.produce", func(ctx context.Context, a produceArg) (int, error) {
		rng := rand.New(rand.NewPCG(a.Seed, uint64(a.Prod)))
		buf := make([]byte, a.MaxSize)
		var batch [][]byte
		for i := 0; a.N == 0 || i < a.N; i++ {
			m := buf[:a.MinSize+rng.IntN(a.MaxSize-a.MinSize+1)]
			if a.Batch > 1 {
				m = make([]byte, len(m))
			}
			mkMsg(m, uint64(a.Prod), uint64(i), rng)
			var err error
			switch {
			case a.Q != nil:
				err = a.Q.Put(ctx, m)
			case a.Batch > 1:
				batch = append(batch, m)
				if len(batch) == a.Batch || i == a.N-1 {
					_, err = a.R.WriteBatch(ctx, batch)
					batch = batch[:0]
				}
			default:
				err = a.R.Write(ctx, m)
			}
			if err != nil {
				return i, err
			}
		}
		if a.CloseEnd && a.R != nil {
			a.R.Close()
		}
		return a.N, nil
	})

	consumeTask = process.Register("ring.consume", func(ctx context.Context, a consumeArg) (int, error) {
		o, err := shm.Attach(a.Seen, shm.KindBytes, 0)
		if err != nil {
			return 0, err
		}
		return consumeQueue(ctx, a.Q, bitmap(o.Bytes()), a.NP, a.N)
	})

	// hangPut claims slots in the queue and hangs before committing them.
	hangPutTask = process.Register("ring.hangput", func(ctx context.Context, a hangArg) (struct{}, error) {
		flag := flagWord(a.Flag)
		ring.SetTestHooks(func() { flag.Store(1); select {} }, nil)
		return struct{}{}, a.Q.Put(ctx, make([]byte, 300))
	})

	// hangGet takes a message and hangs before freeing its slots.
	hangGetTask = process.Register("ring.hangget", func(ctx context.Context, a hangArg) (struct{}, error) {
		flag := flagWord(a.Flag)
		ring.SetTestHooks(nil, func() { flag.Store(1); select {} })
		_, err := a.Q.Get(ctx, make([]byte, 1<<16))
		return struct{}{}, err
	})

	// hangReserve reserves a record, fills half of it and hangs.
	hangReserveTask = process.Register("ring.hangreserve", func(ctx context.Context, a hangArg) (struct{}, error) {
		if err := a.R.Write(ctx, []byte("committed")); err != nil {
			return struct{}{}, err
		}
		b, err := a.R.Reserve(ctx, 1000)
		if err != nil {
			return struct{}{}, err
		}
		copy(b, "torn")
		flagWord(a.Flag).Store(1)
		select {}
	})
)

func flagWord(h shm.Handle) *atomic.Uint32 {
	o, err := shm.Attach(h, shm.KindBytes, 0)
	if err != nil {
		panic(err)
	}
	return (*atomic.Uint32)(unsafe.Pointer(&o.Bytes()[0]))
}

// bitmap marks (producer, sequence) pairs, across processes.
type bitmap []byte

func (b bitmap) word(i int) *atomic.Uint32 {
	return (*atomic.Uint32)(unsafe.Pointer(&b[(i/32)*4]))
}

// mark sets bit i and reports whether it was clear.
func (b bitmap) mark(i int) bool {
	bit := uint32(1) << (i % 32)
	return b.word(i).Or(bit)&bit == 0
}

func (b bitmap) has(i int) bool { return b.word(i).Load()&(1<<(i%32)) != 0 }

func bitmapBytes(np, n int) int { return (np*n+31)/32*4 + 8 }

var errDup = errors.New("message delivered twice")

// consumeQueue takes messages until EOF, checking checksums, per-producer
// order and exactly-once (through the shared bitmap).
func consumeQueue(ctx context.Context, q *ring.MPMC, seen bitmap, np, n int) (int, error) {
	buf := make([]byte, q.MaxMessage())
	next := make([]uint64, np)
	count := 0
	for {
		k, err := q.Get(ctx, buf)
		if err == io.EOF {
			return count, nil
		}
		if err != nil {
			return count, err
		}
		prod, seq, ok := checkMsg(buf[:k])
		if !ok || prod >= uint64(np) || seq >= uint64(n) {
			return count, fmt.Errorf("torn message: %d bytes, producer %d seq %d", k, prod, seq)
		}
		if seq < next[prod] {
			return count, fmt.Errorf("producer %d: seq %d after %d", prod, seq, next[prod]-1)
		}
		next[prod] = seq + 1
		if !seen.mark(int(prod)*n + int(seq)) {
			return count, fmt.Errorf("producer %d seq %d: %w", prod, seq, errDup)
		}
		count++
	}
}

// echoTask receives values on a pipe end and sends each back doubled, until
// the other end closes.
var echoTask = process.Register("ring.echo", func(ctx context.Context, c *ring.Conn) (int, error) {
	n := 0
	for {
		var v []int
		err := c.Recv(ctx, &v)
		if err == io.EOF {
			return n, nil
		}
		if err != nil {
			return n, err
		}
		for i := range v {
			v[i] *= 2
		}
		if err := c.Send(ctx, v); err != nil {
			return n, err
		}
		n++
	}
})
