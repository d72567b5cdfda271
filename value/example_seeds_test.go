package value_test

// Go counterparts of the Python multiprocessing tutorials our users come
// from (see docs/from-python.md).

import (
	"bytes"
	"context"
	"fmt"

	"github.com/shmkit/shmkit/shm"
	"github.com/shmkit/shmkit/value"
)

// A shared char and a shared string, as the seeds' Value('c', 'a') and
// Value('s', 'some str'). A shared value holds no pointers, so a string
// is a fixed-size byte array: its length is chosen up front, as with
// Python's Array('c', n).
func ExampleNew() {
	seg, err := shm.Anonymous(1<<16, nil)
	if err != nil {
		panic(err)
	}
	defer seg.Close()
	c, err := value.New(seg, "c", byte('a')) // Value('c', 'a')
	if err != nil {
		panic(err)
	}
	var initial [16]byte
	copy(initial[:], "some str")
	s, err := value.New(seg, "s", initial) // Value('s', 'some str')
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	c.Store(ctx, 'b')
	s.Update(ctx, func(b *[16]byte) { copy(b[:], "other str") })
	str := s.Load()
	fmt.Printf("%c %s\n", c.Load(), bytes.TrimRight(str[:], "\x00"))
	// Output: b other str
}
