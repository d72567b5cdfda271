package manager_test

import (
	"context"
	"fmt"

	"github.com/shmkit/shmkit/manager"
	"github.com/shmkit/shmkit/process"
)

type tagArg struct {
	Tags *manager.Set
	Tag  string
}

var addTag = process.Register("example.addTag", func(ctx context.Context, a tagArg) (bool, error) {
	return a.Tags.Add(ctx, a.Tag)
})

// A shared set (Python's MutableSet): three processes add tags, two of
// them the same; the set holds each once.
//
//	tags = manager.set()   # Python 3.14's SyncManager.set()
//	tags.add('go'); 'go' in tags; tags.discard('py'); tags.pop()
func ExampleManager_Set() {
	ctx := context.Background()
	m, err := manager.New(nil)
	if err != nil {
		panic(err)
	}
	defer m.Close()
	tags, err := m.Set("tags", nil)
	if err != nil {
		panic(err)
	}
	for _, tag := range []string{"go", "shm", "go"} {
		if _, err := process.Run(ctx, addTag, tagArg{tags, tag}); err != nil {
			panic(err)
		}
	}
	all, _ := tags.Snapshot(ctx)
	in, _ := tags.Contains(ctx, "go")
	fmt.Println(tags, all, in)
	tags.Discard(ctx, "shm")
	last, _ := tags.Pop(ctx)
	n, _ := tags.Len(ctx)
	fmt.Println(last, n)
	// Output:
	// Set "tags" (2 members) [go shm] true
	// go 0
}

// Python's popitem: take some entry out, atomically, until none is left.
func ExampleLocalDict_PopItem() {
	ctx := context.Background()
	m, err := manager.New(nil)
	if err != nil {
		panic(err)
	}
	defer m.Close()
	d, _ := m.Dict("jobs", nil)
	d.Set(ctx, "build", []byte("make"))
	for {
		k, v, ok, err := d.PopItem(ctx)
		if err != nil || !ok {
			break
		}
		fmt.Println(k, string(v))
	}
	n, _ := d.Len(ctx)
	fmt.Println(n)
	// Output:
	// build make
	// 0
}
