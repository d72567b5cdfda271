package value_test

import (
	"context"
	"fmt"

	"github.com/shmkit/shmkit/process"
	"github.com/shmkit/shmkit/shm"
	"github.com/shmkit/shmkit/value"
)

// The worker of the shared-counter example: it adds 50 to the counter.
var generateUpdateNumber = process.Register("value.example.add50",
	func(ctx context.Context, v *value.Int[int32]) (struct{}, error) {
		for range 50 {
			v.Add(1)
		}
		return struct{}{}, nil
	})

// Nine processes increment one shared counter, as in Python's
//
//	share_value = Value('i', 0)
//	for _ in range(1, 10):
//	    p = Process(target=generate_update_number, args=(share_value,))
//
// but each increment is one atomic instruction instead of a locked
// read-modify-write.
func Example_sharedCounter() {
	seg, err := shm.Anonymous(1<<16, nil)
	if err != nil {
		panic(err)
	}
	defer seg.Close()
	shareValue, err := value.NewInt[int32](seg, "share_value", 0)
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	var procs []*process.Process
	for range 9 {
		p, err := process.Start(ctx, generateUpdateNumber, shareValue)
		if err != nil {
			panic(err)
		}
		procs = append(procs, p)
	}
	for _, p := range procs {
		if err := p.Join(ctx); err != nil {
			panic(err)
		}
	}
	fmt.Println("Final data in parent process:", shareValue.Load())
	// Output: Final data in parent process: 450
}

func ExampleInt_Update() {
	seg, _ := shm.Anonymous(1<<16, nil)
	defer seg.Close()
	v, _ := value.NewInt[int64](seg, "v", 10)
	// with v.get_lock(): v.value = v.value * 3 + 1 -- as a compare-and-swap
	// loop, exact against other processes' Add and Update.
	if err := v.Update(context.Background(), func(x *int64) { *x = *x*3 + 1 }); err != nil {
		panic(err)
	}
	fmt.Println(v.Load())
	// Output: 31
}

func ExampleValue() {
	type point struct{ X, Y, Z float64 }
	seg, _ := shm.Anonymous(1<<16, nil)
	defer seg.Close()
	p, err := value.New(seg, "position", point{1, 2, 3})
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	p.Update(ctx, func(q *point) { q.X += 10 })
	fmt.Printf("%+v after %d update\n", p.Load(), p.Seq())
	// A type with pointers cannot be shared.
	_, err = value.New(seg, "name", "a string")
	fmt.Println(err != nil)
	// Output:
	// {X:11 Y:2 Z:3} after 1 update
	// true
}

func ExampleFloat() {
	seg, _ := shm.Anonymous(1<<16, nil)
	defer seg.Close()
	total, _ := value.NewFloat(seg, "total", 0.5)
	total.Add(2)
	fmt.Println(total.Load())
	// Output: 2.5
}
