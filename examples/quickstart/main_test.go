package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/shmkit/shmkit/internal/testutil/leak"
	"github.com/shmkit/shmkit/process"
)

func TestMain(m *testing.M) {
	process.Main()
	if os.Getenv("QUICKSTART_RUN_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(leak.Main(m))
}

// TestQuickstart runs the README's example as a program and checks what
// it prints.
func TestQuickstart(t *testing.T) {
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), "QUICKSTART_RUN_MAIN=1")
	out, err := cmd.CombinedOutput()
	want := "[0 1 4 9 16 25 36 49 64 81] <nil> counter: 10 dict entries: 10\na b c <nil>\n"
	if err != nil || string(out) != want {
		t.Fatalf("quickstart printed %q (%v), want %q", out, err, want)
	}
	if strings.Contains(string(out), "panic") {
		t.Fatal(string(out))
	}
}
