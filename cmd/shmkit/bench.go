package main

import (
	"fmt"
	"io"
)

// benchMain is a placeholder until the bench suite lands: it says so and
// fails, rather than pretending to measure.
func benchMain(args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "shmkit bench: the benchmark suite is not built yet")
	return 1
}
