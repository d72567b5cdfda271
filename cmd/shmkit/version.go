package main

import (
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

const versionAbout = `Prints the module version of this binary, the Go version that built it,
and the VCS revision it was built from, as the binary records them.
"(devel)" is a binary built inside the repository rather than installed
with go install ...@version; "go run" records no revision.`

func versionMain(args []string, stdout, stderr io.Writer) int {
	c := newCommand("version", "shmkit version", versionAbout)
	ops, code, done := c.parse(args, stdout, stderr)
	if done {
		return code
	}
	if len(ops) > 0 {
		return c.usageError(stderr, fmt.Sprintf("unexpected argument %q", ops[0]))
	}
	fmt.Fprintln(stdout, versionLine())
	return 0
}

// versionLine is "shmkit v0.3.0 (go1.26.8 linux/amd64, revision
// c3d05d3f6a7b 2026-11-29T05:43:00Z, modified)".
func versionLine() string {
	v, rev := "(unknown)", "no VCS revision recorded: go run, or -buildvcs=false"
	if bi, ok := debug.ReadBuildInfo(); ok {
		v = bi.Main.Version
		var r, t, mod string
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				r = s.Value
			case "vcs.time":
				t = s.Value
			case "vcs.modified":
				mod = s.Value
			}
		}
		if r != "" {
			rev = "revision " + r[:min(12, len(r))]
			if t != "" {
				rev += " " + t
			}
			if mod == "true" {
				rev += ", modified"
			}
		}
	}
	return fmt.Sprintf("shmkit %s (%s %s/%s, %s)", v, runtime.Version(), runtime.GOOS, runtime.GOARCH, rev)
}
