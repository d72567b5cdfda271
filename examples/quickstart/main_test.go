package main

import (
	"bufio"
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
	want := "[0 1 4 9 16 25 36 49 64 81] counter: 10 dict entries: 10\na b c\n"
	if err != nil || string(out) != want {
		t.Fatalf("quickstart printed %q (%v), want %q", out, err, want)
	}
}

// TestREADMEShowsThisProgram keeps the README's example honest: every
// line of its first Go block is a line of main.go, in the same order
// (lines starting "// …" stand for what the README leaves out).
func TestREADMEShowsThisProgram(t *testing.T) {
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("main.go")
	if err != nil {
		t.Fatal(err)
	}
	block, ok := firstBlock(string(readme), "```go\n")
	if !ok {
		t.Fatal("README.md has no ```go block")
	}
	prog := strings.Split(string(src), "\n")
	at := 0
	for l := range strings.SplitSeq(block, "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "// …") {
			continue
		}
		for at < len(prog) && strings.TrimSpace(prog[at]) != l {
			at++
		}
		if at == len(prog) {
			t.Fatalf("README's example has %q, which main.go does not (in that order): keep them the same", l)
		}
		at++
	}
}

// firstBlock returns the text of the first fenced block opened by fence.
func firstBlock(md, fence string) (string, bool) {
	_, rest, ok := strings.Cut(md, fence)
	if !ok {
		return "", false
	}
	var b strings.Builder
	sc := bufio.NewScanner(strings.NewReader(rest))
	for sc.Scan() {
		if strings.HasPrefix(sc.Text(), "```") {
			return b.String(), true
		}
		b.WriteString(sc.Text() + "\n")
	}
	return "", false
}
