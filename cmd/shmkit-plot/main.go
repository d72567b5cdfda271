// Command shmkit-plot draws SVG charts of a `shmkit bench --json` report.
//
//	shmkit bench --json out.json && shmkit-plot -o charts out.json
//	shmkit bench --plot charts     # runs shmkit-plot itself
//
// It is a command of its own so that the shmkit binary never links a
// plotting library: bench's peers are that binary re-executed, and
// gonum/plot doubled its size and slowed every child's start (see
// bench/README.md). `shmkit bench --plot DIR` runs this command, found
// beside the shmkit executable, on PATH, or at $SHMKIT_PLOT, with the
// report on its standard input.
//
// Charts, each written only when the report has results for it:
//
//	stream-throughput.svg  bytes/s by message size, one line per transport
//	                       (memcpy's line is the physical limit); log-log
//	pingpong-latency.svg   p50 and p99 round trip by transport, per size;
//	                       log scale
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

	"github.com/shmkit/shmkit/bench"
)

const usage = `usage: shmkit-plot [-o DIR] [FILE]

Draws SVG charts of a shmkit bench --json report: FILE, or standard input
when FILE is - or absent. Prints the name of each file written.

flags:
`

func main() {
	os.Exit(run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("shmkit-plot", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("o", ".", "write the charts into `DIR` (created if missing)")
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
	files, err := writePlots(*dir, rep)
	for _, f := range files {
		fmt.Fprintf(stdout, "wrote %s\n", f)
	}
	if err != nil {
		fmt.Fprintf(stderr, "shmkit-plot: %v\n", err)
		return 1
	}
	return 0
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
