package main

// Every package that keeps objects in segments registers its kinds, and a
// describer of their live state, at init: importing them here is what
// lets `shmkit inspect` name each object and say how it is doing.
import (
	_ "github.com/shmkit/shmkit/array"
	_ "github.com/shmkit/shmkit/manager"
	_ "github.com/shmkit/shmkit/ring"
	_ "github.com/shmkit/shmkit/sync"
	_ "github.com/shmkit/shmkit/value"
)
