package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/shmkit/shmkit/bench"
)

const benchUsage = `usage: shmkit bench [flags]

Runs shmkit's benchmark suite: every scenario over every transport, peers in
separate processes, every byte checked, each result beside its baseline from
the same run (the faster of os-pipe and pipe-raw; CPython for the scenarios
that compare with it).

flags:
`

// benchMain runs `shmkit bench ARGS...` and returns the exit code: 0 after a
// run (failed cases are reported in their notes), 1 when the results could
// not be written, 2 for bad flags, names, sizes or output paths — found
// before anything runs —, 130 when interrupted (Ctrl-C).
func benchMain(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	quick := fs.Bool("quick", false, "fewer operations and sizes: a whole run in about a minute on 2 cores")
	only := fs.String("only", "", "run only these: `scenario[,scenario]`")
	transports := fs.String("transports", "", "run only these: `transport[,transport]`")
	sizes := fs.String("sizes", "", "message sizes instead of each scenario's own, K and M meaning KiB and MiB: `64,4K,1M`")
	jsonPath := fs.String("json", "", "also write the results as JSON to `FILE`, and charts of them beside it (FILE's name without .json, then -SCENARIO.svg) when shmkit-plot is installed")
	plotDir := fs.String("plot", "", "write the charts into `DIR` instead, drawn by the shmkit-plot command (beside shmkit, on PATH or at $SHMKIT_PLOT; required then)")
	rounds := fs.Int("rounds", 0, "measure everything `N` times, interleaved, and keep each case's median (default 1 with --quick, else 3)")
	pinned := fs.Bool("pin", false, "bind the two peers of pingpong and stream to two different CPUs: repeatable for spinners, much slower for anything that sleeps (cross-CPU wakes)")
	list := fs.Bool("list", false, "print the scenarios and transports, then exit")
	fs.Usage = func() {}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			benchHelp(stdout, fs)
			return 0
		}
		fmt.Fprintln(stderr, "usage: shmkit bench [flags] (shmkit bench -h for help)")
		return 2
	}
	if fs.NArg() > 0 {
		fmt.Fprintf(stderr, "shmkit bench: unexpected argument %q\n", fs.Arg(0))
		return 2
	}
	if *list {
		fmt.Fprintf(stdout, "scenarios: %s\ntransports: %s\n", strings.Join(scenarioNames(), ", "), strings.Join(bench.TransportNames(), ", "))
		return 0
	}
	if err := checkGiven(fs); err != nil {
		fmt.Fprintf(stderr, "shmkit bench: %v\n", err)
		return 2
	}
	opts := bench.Options{Config: bench.Config{Quick: *quick, Rounds: *rounds, Pin: *pinned}, Only: splitList(*only), Transports: splitList(*transports)}
	var err error
	if opts.Sizes, err = parseSizes(*sizes); err != nil {
		fmt.Fprintf(stderr, "shmkit bench: --sizes: %v\n", err)
		return 2
	}
	if err := opts.Validate(); err != nil {
		fmt.Fprintf(stderr, "shmkit bench: %v\n", err)
		return 2
	}
	if len(opts.Plan()) == 0 {
		fmt.Fprintln(stderr, "shmkit bench: nothing to run: no scenario has those transports")
		return 2
	}
	var jsonFile *os.File
	if *jsonPath != "" {
		if jsonFile, err = os.OpenFile(*jsonPath, os.O_WRONLY|os.O_CREATE, 0o644); err != nil {
			fmt.Fprintf(stderr, "shmkit bench: --json: %v\n", err)
			return 2
		}
		defer jsonFile.Close()
	}
	var plotter string
	if *plotDir != "" {
		if err := checkWritableDir(*plotDir); err != nil {
			fmt.Fprintf(stderr, "shmkit bench: --plot: %v\n", err)
			return 2
		}
		if plotter, err = findPlotter(); err != nil {
			fmt.Fprintf(stderr, "shmkit bench: --plot: %v\n", err)
			return 2
		}
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		stop() // a second Ctrl-C kills at once
	}()
	defer bench.CleanupPython()
	prog := newProgress(stderr, isTerminal(stderr))
	opts.Progress = prog.update
	start := time.Now()
	rep, err := bench.Run(ctx, opts)
	prog.close()
	if ie := bench.Interrupted(err); ie != nil {
		fmt.Fprintf(stderr, "shmkit bench: interrupted after %s: %s; nothing written\n", fmtElapsed(time.Since(start)), ie.Summary())
		return 130
	}
	if err != nil {
		fmt.Fprintf(stderr, "shmkit bench: %v\n", err)
		return 2
	}
	fmt.Fprintf(stdout, "shmkit bench%s — %s\n", flagsLine(args), time.Now().UTC().Format("2006-01-02 15:04 MST"))
	bench.WriteTable(stdout, rep)
	if jsonFile == nil && *plotDir == "" {
		return 0
	}
	data, err := json.MarshalIndent(rep, "", "  ")
	if err != nil {
		fmt.Fprintf(stderr, "shmkit bench: %v\n", err)
		return 1
	}
	data = append(data, '\n')
	code := 0
	if jsonFile != nil {
		if err := writeJSON(jsonFile, data); err != nil {
			fmt.Fprintf(stderr, "shmkit bench: writing %s: %v\n", *jsonPath, err)
			*jsonPath, code = "", 1
		}
	}
	switch {
	case *plotDir != "":
		if err := plotReport(ctx, plotter, *plotDir, *jsonPath, data, stdout, stderr); err != nil {
			fmt.Fprintf(stderr, "shmkit bench: --plot: %v\n", err)
			code = 1
		}
	case *jsonPath != "":
		plotBeside(ctx, *jsonPath, stdout, stderr)
	}
	return code
}

// benchHelp is bench -h, on stdout.
func benchHelp(w io.Writer, fs *flag.FlagSet) {
	fmt.Fprint(w, benchUsage+flagLines(fs))
	fmt.Fprintf(w, "\nscenarios: %s\ntransports: %s\n", strings.Join(scenarioNames(), ", "), strings.Join(bench.TransportNames(), ", "))
	fmt.Fprint(w, `
Progress goes to stderr: a line that rewrites itself, with the time left,
on a terminal; one line per case anywhere else. Ctrl-C stops the run at
once, says what ran and what was skipped, and exits with status 130.
`)
}

// checkGiven refuses flags given with values that mean nothing: --rounds
// below 1 (its default, 0, picks the number of rounds), and an empty
// --only, --transports or --sizes.
func checkGiven(fs *flag.FlagSet) error {
	var err error
	fs.Visit(func(f *flag.Flag) {
		v := f.Value.String()
		switch {
		case err != nil:
		case f.Name == "rounds":
			if n, _ := strconv.Atoi(v); n < 1 {
				err = fmt.Errorf("--rounds %s: must be at least 1", v)
			}
		case f.Name == "only" || f.Name == "transports" || f.Name == "sizes":
			if len(splitList(v)) == 0 {
				err = fmt.Errorf("--%s %q: names nothing", f.Name, v)
			}
		}
	})
	return err
}

// plotReport draws the charts of data, the run's JSON, into dir with the
// plot command. When that fails the report is kept — at jsonPath when
// --json wrote it, else in dir — and the error says how to draw the charts
// from it.
func plotReport(ctx context.Context, plotter, dir, jsonPath string, data []byte, stdout, stderr io.Writer) error {
	err := drawPlots(ctx, plotter, dir, data, stdout, stderr)
	if err == nil {
		return nil
	}
	retry := fmt.Sprintf("%s -o %s %s", plotCommand, dir, jsonPath)
	if jsonPath == "" {
		var kerr error
		if retry, kerr = keepReport(dir, data); kerr != nil {
			return errors.Join(err, kerr)
		}
	}
	return fmt.Errorf("%w; the report is kept: draw the charts with\n\t%s", err, retry)
}

func flagsLine(args []string) string {
	if len(args) == 0 {
		return ""
	}
	return " " + strings.Join(args, " ")
}

func scenarioNames() []string {
	var out []string
	for _, s := range bench.Scenarios() {
		out = append(out, s.Name)
	}
	return out
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// parseSizes reads "64,4K,1M" (K and M are powers of two; KiB, MiB too).
func parseSizes(s string) ([]int, error) {
	var out []int
	for _, f := range splitList(s) {
		num, mul := strings.ToUpper(f), 1
		for _, u := range []struct {
			suffix string
			mul    int
		}{{"KIB", 1 << 10}, {"MIB", 1 << 20}, {"K", 1 << 10}, {"M", 1 << 20}, {"B", 1}} {
			if strings.HasSuffix(num, u.suffix) {
				num, mul = strings.TrimSuffix(num, u.suffix), u.mul
				break
			}
		}
		n, err := strconv.Atoi(num)
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("bad size %q", f)
		}
		if n > bench.MaxSize/mul || n*mul < bench.MinSize {
			return nil, fmt.Errorf("size %q: must be %d B..%d MiB", f, bench.MinSize, bench.MaxSize>>20)
		}
		out = append(out, n*mul)
	}
	return out, nil
}

func checkWritableDir(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".shmkit-bench-*")
	if err != nil {
		return err
	}
	f.Close()
	return os.Remove(filepath.Clean(f.Name()))
}

func writeJSON(f *os.File, b []byte) error {
	if err := f.Truncate(0); err != nil {
		return err
	}
	if _, err := f.WriteAt(b, 0); err != nil {
		return err
	}
	return f.Close()
}
