package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestNoPlottingLibrary: the shmkit binary, which bench re-executes for
// every peer, links no plotting library (nor anything of gonum).
func TestNoPlottingLibrary(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Skipf("go list: %v\n%s", err, out)
	}
	for _, dep := range strings.Fields(string(out)) {
		if strings.HasPrefix(dep, "gonum.org/") || strings.Contains(dep, "/plot") {
			t.Errorf("cmd/shmkit depends on %s: plotting belongs in cmd/shmkit-plot", dep)
		}
	}
}

// buildPlotter builds cmd/shmkit-plot into the test's temporary directory
// for a test that draws charts.
func buildPlotter(t *testing.T) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), plotCommand)
	if out, err := exec.Command("go", "build", "-o", path, "../shmkit-plot").CombinedOutput(); err != nil {
		t.Skipf("building %s: %v\n%s", plotCommand, err, out)
	}
	return path
}

// TestBenchPlotMissing: without shmkit-plot, --plot is refused before
// anything runs, with the command that installs it.
func TestBenchPlotMissing(t *testing.T) {
	t.Setenv(plotEnv, "")
	t.Setenv("PATH", t.TempDir())
	dir := t.TempDir()
	code, out, errOut := runCLI("bench", "--only", "memcpy", "--plot", dir)
	if code != 2 || !strings.Contains(errOut, plotInstall) || out != "" {
		t.Fatalf("exit %d, stdout %q, stderr %q; want 2 and %q", code, out, errOut, plotInstall)
	}
	t.Setenv(plotEnv, filepath.Join(dir, "no-such-command"))
	if code, _, errOut := runCLI("bench", "--only", "memcpy", "--plot", dir); code != 2 || !strings.Contains(errOut, plotEnv) {
		t.Fatalf("a wrong $%s: exit %d, stderr %q", plotEnv, code, errOut)
	}
}

// TestBenchPlotFails: when the plot command fails, the run's report is
// kept in the charts' directory and the message says how to draw them.
func TestBenchPlotFails(t *testing.T) {
	dir := t.TempDir()
	failing := filepath.Join(dir, "failing-plot")
	if err := os.WriteFile(failing, []byte("#!/bin/sh\necho cannot draw >&2\nexit 3\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv(plotEnv, failing)
	charts := filepath.Join(dir, "charts")
	code, _, errOut := runCLI("bench", "--quick", "--only", "memcpy", "--sizes", "64", "--plot", charts)
	kept := filepath.Join(charts, "bench.json")
	if code != 1 || !strings.Contains(errOut, "cannot draw") || !strings.Contains(errOut, plotCommand+" -o "+charts+" "+kept) {
		t.Fatalf("exit %d, stderr %q", code, errOut)
	}
	if b, err := os.ReadFile(kept); err != nil || !strings.Contains(string(b), `"results"`) {
		t.Fatalf("report not kept: %v %.100q", err, b)
	}
}
