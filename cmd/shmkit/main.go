// Command shmkit lists, inspects and removes shmkit shared-memory segments
// and runs the benchmark suite.
//
//	shmkit ls                 named segments made by shmkit
//	shmkit inspect NAME...    a segment's header and objects, with live state
//	shmkit rm NAME...         remove named segments
//	shmkit gc [-n]            remove segments whose creator is dead, and
//	                          temporary files of processes killed in Create
//	shmkit bench [flags]      the benchmark suite (shmkit bench -h)
package main

import (
	"fmt"
	"io"
	"os"

	"github.com/shmkit/shmkit/process"
)

const usage = `usage: shmkit COMMAND [ARGS]

commands:
  ls                 list named shmkit segments in /dev/shm
  inspect NAME...    show a segment's header and objects with their live state
  rm NAME...         remove named shmkit segments
  gc [-n]            remove segments whose creator process is dead, and temporary
                     files left by processes killed while creating one (-n: only print)
  bench [flags]      run the benchmark suite (shmkit bench -h for flags)
`

func main() {
	process.Main() // the bench suite re-executes this binary for its peers
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "ls":
		return lsMain(rest, stdout, stderr)
	case "inspect":
		return inspectMain(rest, stdout, stderr)
	case "rm":
		return rmMain(rest, stdout, stderr)
	case "gc":
		return gcMain(rest, stdout, stderr)
	case "bench":
		return benchMain(rest, stdout, stderr)
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return 0
	default:
		fmt.Fprintf(stderr, "shmkit: unknown command %q\n%s", cmd, usage)
		return 2
	}
}
