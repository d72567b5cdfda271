// Command shmkit lists, inspects, watches and removes shmkit
// shared-memory segments, and runs the benchmark suite. Its conventions are
// those of ipcs and ipcrm (and of iceoryx2's iox2): a segment in use is
// never removed by mistake, and "in use" means mapped by a live process, as
// ipcs's nattch counts it.
//
//	shmkit ls [--all] [--json]       segments in /dev/shm, with who maps them
//	shmkit inspect [--json] NAME...  a segment's objects: data offsets, types, live state, numpy lines
//	shmkit top [flags] NAME          a live view of a segment's queues, rings and locks
//	shmkit rm [--force] NAME...      remove segments no live process maps
//	shmkit gc [-n]                   remove segments whose creator died and that
//	                                 no process maps, and crash leftovers
//	shmkit bench [flags]             the benchmark suite
//	shmkit version                   module version, Go version, VCS revision
//
// Every command takes -h or --help. Exit status: 0 on success, 1 when
// something could not be done (a segment not found, refused, unreadable),
// 2 for a usage error, 130 for a bench interrupted by Ctrl-C.
package main

import (
	"fmt"
	"io"
	"os"

	"github.com/shmkit/shmkit/process"
)

const usage = `usage: shmkit COMMAND [ARGS]

shmkit looks after the named shared-memory segments of shmkit programs
(files in /dev/shm) and runs shmkit's benchmark suite.

commands:
  ls [--all] [--json]        list segments: size, objects, creator, processes mapping them
  inspect [--json] NAME...   a segment's objects: kind, data offset, element type, live
                             state, and the numpy line that maps each array from Python
  top [flags] NAME           a live view of a segment's queues, rings and locks: depth,
                             rates, waiters, dead participants (q or Ctrl-C quits)
  rm [--force] NAME...       remove segments; one a live process maps only with --force
  gc [-n]                    remove segments whose creator died and that no live process
                             maps, and temporary files of processes killed in Create
  bench [flags]              run the benchmark suite
  version                    print the version

Every command takes -h or --help: shmkit COMMAND -h.
`

func main() {
	process.Main() // the bench suite re-executes this binary for its peers
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// commands maps each command's name to its main.
var commands = map[string]func(args []string, stdout, stderr io.Writer) int{
	"ls":      lsMain,
	"inspect": inspectMain,
	"top":     topMain,
	"rm":      rmMain,
	"gc":      gcMain,
	"bench":   benchMain,
	"version": versionMain,
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return 2
	}
	cmd, rest := args[0], args[1:]
	if main, ok := commands[cmd]; ok {
		return main(rest, stdout, stderr)
	}
	switch cmd {
	case "help", "-h", "-help", "--help":
		if len(rest) > 0 && commands[rest[0]] != nil { // shmkit help ls
			return commands[rest[0]]([]string{"-h"}, stdout, stderr)
		}
		fmt.Fprint(stdout, usage)
		return 0
	case "-version", "--version":
		return versionMain(nil, stdout, stderr)
	}
	fmt.Fprintf(stderr, "shmkit: unknown command %q\n\n%s", cmd, usage)
	return 2
}
