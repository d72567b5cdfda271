// Command shmkit-plot draws SVG charts of a `shmkit bench --json` report,
// one or two per scenario.
//
//	shmkit-plot out.json               # out-pingpong.svg, out-stream.svg… beside it
//	shmkit-plot -o charts out.json     # charts/pingpong.svg, charts/stream.svg…
//	shmkit bench --json out.json       # runs shmkit-plot out.json itself
//	shmkit bench --plot charts         # runs shmkit-plot -o charts itself
//
// It is a command of its own so that the shmkit binary never links a
// plotting library: bench's peers are that binary re-executed, and
// gonum/plot doubled its size and slowed every child's start (see
// bench/README.md). `shmkit bench --plot DIR` runs this command, found
// beside the shmkit executable, on PATH, or at $SHMKIT_PLOT, with the
// report on its standard input.
//
// Charts, each written only when the report has results for it (see
// writePlots for how each is drawn):
//
//	pingpong.svg          p50 and p99 round trip per transport and size
//	stream.svg            bytes/s by message size, a line per transport,
//	                      memcpy's as the limit (stream-batched.svg: batched)
//	memcpy.svg            copy bandwidth by size
//	fanin.svg, lock.svg, value.svg, dict.svg, pool-trivial.svg,
//	pool-cpu.svg, spawn.svg, and any other scenario's
//	                      a bar per transport and mode: the ratio to the
//	                      scenario's baseline in the same run
//
// Exit status: 0 when the charts were written (or the report had nothing
// to chart), 1 when a chart could not be written, 2 for bad flags or an
// unreadable report.
package main

import (
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/shmkit/shmkit/bench"
)

const usage = `usage: shmkit-plot [-o DIR] [FILE]

Draws SVG charts of a shmkit bench --json report, FILE or standard input
(when FILE is - or absent), one or more per scenario. Without -o, the
charts of FILE go beside it, named after it (out.json: out-stream.svg…),
and those of standard input into the current directory (stream.svg…).
Prints the name of each file written.

flags:
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("shmkit-plot", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("o", "", "write the charts into `DIR` (created if missing), named SCENARIO.svg")
	fs.Usage = func() {
		fmt.Fprint(stderr, usage)
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() > 1 {
		fmt.Fprintf(stderr, "shmkit-plot: unexpected argument %q\n", fs.Arg(1))
		return 2
	}
	rep, err := readReport(fs.Arg(0), stdin)
	if err != nil {
		fmt.Fprintf(stderr, "shmkit-plot: %v\n", err)
		return 2
	}
	out, prefix := outputFor(*dir, fs.Arg(0))
	files, err := writePlots(out, prefix, rep)
	for _, f := range files {
		fmt.Fprintf(stdout, "wrote %s\n", f)
	}
	if err != nil {
		fmt.Fprintf(stderr, "shmkit-plot: %v\n", err)
		return 1
	}
	return 0
}

// outputFor returns the directory and file name prefix of the charts:
// dir with no prefix when -o gave one; else beside the report file, its
// name without ".json" and a dash as the prefix; else (standard input)
// the current directory.
func outputFor(dir, file string) (string, string) {
	switch {
	case dir != "":
		return dir, ""
	case file == "" || file == "-":
		return ".", ""
	}
	return filepath.Dir(file), strings.TrimSuffix(filepath.Base(file), ".json") + "-"
}

// readReport reads a report from the file name, or from stdin when name is
// "" or "-".
func readReport(name string, stdin io.Reader) (bench.Report, error) {
	var rep bench.Report
	r, what := stdin, "standard input"
	if name != "" && name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return rep, err
		}
		defer f.Close()
		r, what = f, name
	}
	if err := json.NewDecoder(r).Decode(&rep); err != nil {
		return rep, fmt.Errorf("reading a report from %s: %w", what, err)
	}
	return rep, nil
}
