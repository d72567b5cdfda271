package pool_test

import (
	"context"
	"fmt"
	"log"
	"slices"

	"github.com/shmkit/shmkit/pool"
	"github.com/shmkit/shmkit/process"
)

var cube = process.Register("example.cube", func(ctx context.Context, n int) (int, error) {
	return n * n * n, nil
})

// Python: for r in pool.imap_unordered(cube, range(1, 9)). Results come
// as the workers finish them, each with its own error: a failed input
// does not stop the others. Sort them where the order matters (or use
// Imap, which keeps the inputs' order).
func ExampleImapUnordered() {
	ctx := context.Background()
	p, err := pool.New(ctx, pool.Options{Workers: 2})
	if err != nil {
		log.Fatal(err)
	}
	defer p.Join(ctx)
	defer p.Close()

	var cubes []int
	for c, err := range pool.ImapUnordered(ctx, p, cube, slices.Values([]int{1, 2, 3, 4, 5, 6, 7, 8})) {
		if err != nil {
			log.Fatal(err)
		}
		cubes = append(cubes, c)
	}
	slices.Sort(cubes)
	fmt.Println(cubes)
	// Output: [1 8 27 64 125 216 343 512]
}
