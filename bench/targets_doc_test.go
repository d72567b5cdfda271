package bench

import (
	"os"
	"strings"
	"testing"
)

// TestTargetsDocumented: the table of targets that bench prints names
// bench/README.md, whose "Targets" section lists every target with its
// goal, and no other.
func TestTargetsDocumented(t *testing.T) {
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, sec, ok := strings.Cut(string(b), "\n## Targets\n")
	if !ok {
		t.Fatal(`bench/README.md has no "## Targets" section`)
	}
	if i := strings.Index(sec, "\n## "); i >= 0 {
		sec = sec[:i]
	}
	rows := 0
	for _, l := range strings.Split(sec, "\n") {
		if strings.HasPrefix(l, "| ") && !strings.HasPrefix(l, "| target") && !strings.HasPrefix(l, "|---") {
			rows++
		}
	}
	for _, tg := range targets {
		if !strings.Contains(sec, "| "+tg.what+" | "+tg.goal+" |") {
			t.Errorf("bench/README.md's Targets lack the row %q", "| "+tg.what+" | "+tg.goal+" |")
		}
	}
	if rows != len(targets) {
		t.Errorf("bench/README.md's Targets have %d rows, the code %d", rows, len(targets))
	}
	var sb strings.Builder
	WriteTargets(&sb, Report{Results: []Result{
		{Scenario: "value", Transport: "value-int", Mode: "add", MsgsPerS: 2},
		{Scenario: "value", Transport: cpythonMP, Mode: "locked", MsgsPerS: 1},
	}})
	if !strings.Contains(sb.String(), "targets (bench/README.md#targets)") {
		t.Errorf("the table does not name bench/README.md:\n%s", sb.String())
	}
}
