package array_test

import (
	"context"
	"fmt"

	"github.com/shmkit/shmkit/array"
	"github.com/shmkit/shmkit/process"
	"github.com/shmkit/shmkit/shm"
)

// square squares every element of the shared array in a child process.
var square = process.Register("array.example.square", func(ctx context.Context, a *array.Array[int32]) (struct{}, error) {
	if err := a.Lock(ctx); err != nil {
		return struct{}{}, err
	}
	defer a.Unlock()
	for i := range a.Len() {
		a.Store(i, a.Load(i)*a.Load(i))
	}
	return struct{}{}, nil
})

// Python's Array('i', range(10)), changed by a child process.
func Example() {
	seg, err := shm.Anonymous(1<<16, nil)
	if err != nil {
		panic(err)
	}
	defer seg.Close()
	numbers := make([]int32, 10)
	for i := range numbers {
		numbers[i] = int32(i)
	}
	a, err := array.NewFrom(seg, "share_numbers", numbers)
	if err != nil {
		panic(err)
	}
	if _, err := process.Run(context.Background(), square, a); err != nil {
		panic(err)
	}
	out := make([]int32, a.Len())
	a.CopyTo(out)
	fmt.Println(out)
	// Output: [0 1 4 9 16 25 36 49 64 81]
}

func ExampleInt() {
	seg, _ := shm.Anonymous(1<<16, nil)
	defer seg.Close()
	hist, _ := array.NewInt[uint64](seg, "histogram", 4)
	for _, x := range []int{3, 1, 3, 3} {
		hist.Add(x, 1) // atomic: safe from any number of processes
	}
	fmt.Println(hist.Load(1), hist.Load(3))
	// Output: 1 3
}

func ExampleArray_Unsafe() {
	seg, _ := shm.Anonymous(1<<16, nil)
	defer seg.Close()
	a, _ := array.New[float64](seg, "samples", 3)
	s := a.Unsafe() // the shared elements themselves, no copy
	s[1] = 2.5
	fmt.Println(a.Load(1))
	// Output: 2.5
}
