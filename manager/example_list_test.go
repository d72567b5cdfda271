package manager_test

import (
	"context"
	"fmt"
	"math"

	"github.com/shmkit/shmkit/manager"
)

func strs(vs [][]byte) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}

// Python's list proxy, MutableSequence and all (CPython's test_list):
//
//	b = manager.list()
//	b.extend(['0', '1', '2', '3', '4'])
//	b.insert(0, 'start'); b.pop(); b.remove('2'); del b[1]
//	b[1:2] = ['x', 'y']; b.reverse(); b.index('x'); b[2:]
//
// Each call is atomic for every process, and all or nothing across a
// kill -9, even those that move elements.
func ExampleList() {
	ctx := context.Background()
	m, err := manager.New(nil)
	if err != nil {
		panic(err)
	}
	defer m.Close()
	b, err := m.List("b", nil)
	if err != nil {
		panic(err)
	}
	b.Extend(ctx, []byte("0"), []byte("1"), []byte("2"), []byte("3"), []byte("4"))
	b.Insert(ctx, 0, []byte("start"))
	last, _ := b.Pop(ctx, -1)
	b.Remove(ctx, []byte("2"))
	b.Delete(ctx, 1)
	all, _ := b.Snapshot(ctx)
	fmt.Println(strs(all), "popped", string(last))

	b.SetSlice(ctx, 1, 2, []byte("x"), []byte("y"))
	b.Reverse(ctx)
	i, _ := b.Index(ctx, []byte("x"))
	tail, _ := b.Slice(ctx, 2, math.MaxInt)
	all, _ = b.Snapshot(ctx)
	fmt.Println(strs(all), "x at", i, "b[2:] =", strs(tail))
	fmt.Println(b)
	// Output:
	// [start 1 3] popped 4
	// [3 y x start] x at 2 b[2:] = [x start]
	// List "b" (4 elements)
}
