package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
)

// The charts of `shmkit bench --plot DIR` are drawn by another command,
// shmkit-plot (cmd/shmkit-plot), from the report's JSON. This binary must
// not link a plotting library: bench's peers are this binary re-executed,
// and gonum/plot doubled its size and added most of a millisecond of
// package initialisation to every child's start. A test
// (TestNoPlottingLibrary) keeps it out.

// plotCommand is the name of the command that draws the charts, and
// plotEnv the variable that may name it instead (a path, or a name on PATH).
const (
	plotCommand = "shmkit-plot"
	plotEnv     = "SHMKIT_PLOT"
)

// plotInstall is what to tell a user who has no shmkit-plot.
const plotInstall = "go install github.com/shmkit/shmkit/cmd/shmkit-plot@latest"

// errNoPlotter says that no shmkit-plot was found.
var errNoPlotter = errors.New(plotCommand + " not found")

// findPlotter returns the path of the plot command: $SHMKIT_PLOT when set,
// else shmkit-plot beside this executable (where `go install ./cmd/...`
// and `go build -o bin/ ./cmd/...` put it), else on PATH.
func findPlotter() (string, error) {
	if p := os.Getenv(plotEnv); p != "" {
		path, err := exec.LookPath(p)
		if err != nil {
			return "", fmt.Errorf("$%s: %w", plotEnv, err)
		}
		return path, nil
	}
	if exe, err := os.Executable(); err == nil {
		if path, err := exec.LookPath(filepath.Join(filepath.Dir(exe), plotCommand)); err == nil {
			return path, nil
		}
	}
	if path, err := exec.LookPath(plotCommand); err == nil {
		return path, nil
	}
	return "", fmt.Errorf("%w beside shmkit or on PATH: it draws the charts, a command of its own so that bench's peers start fast; install it with\n\t%s\nor run with --json FILE and draw them later with\n\t%s -o DIR FILE",
		errNoPlotter, plotInstall, plotCommand)
}

// drawPlots runs the plot command on report (the JSON of a run) with its
// charts going into dir; the command's lines ("wrote FILE") go to stdout,
// its complaints to stderr.
func drawPlots(ctx context.Context, plotter, dir string, report []byte, stdout, stderr io.Writer) error {
	cmd := exec.CommandContext(ctx, plotter, "-o", dir, "-")
	cmd.Stdin = bytes.NewReader(report)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w", plotter, err)
	}
	return nil
}

// keepReport writes report to dir/bench.json after the plot command failed
// and returns the command that draws the charts from it, so a failed
// drawing never loses a run.
func keepReport(dir string, report []byte) (string, error) {
	f := filepath.Join(dir, "bench.json")
	if err := os.WriteFile(f, report, 0o644); err != nil {
		return "", err
	}
	return fmt.Sprintf("%s -o %s %s", plotCommand, dir, f), nil
}

// plotBeside draws the charts of the report at jsonPath beside it, when
// shmkit-plot can be found; when not, it says how to draw them. A run that
// asked only for --json never fails for want of charts.
func plotBeside(ctx context.Context, jsonPath string, stdout, stderr io.Writer) {
	plotter, err := findPlotter()
	if err != nil {
		fmt.Fprintf(stderr, "shmkit bench: no charts: %s not found beside shmkit or on PATH; install it with\n\t%s\nand draw them with\n\t%s %s\n",
			plotCommand, plotInstall, plotCommand, jsonPath)
		return
	}
	cmd := exec.CommandContext(ctx, plotter, jsonPath)
	cmd.Stdout, cmd.Stderr = stdout, stderr
	if err := cmd.Run(); err != nil {
		fmt.Fprintf(stderr, "shmkit bench: no charts: %s: %v (the report is kept: %s)\n", plotter, err, jsonPath)
	}
}
