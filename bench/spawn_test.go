package bench

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestDynamic: the spawn note tells a dynamically linked binary (it asks
// for a program interpreter) from a static one, and calls anything it
// cannot read static rather than fail.
func TestDynamic(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "main.go")
	if err := os.WriteFile(src, []byte("package main\n\nfunc main() {}\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	static := filepath.Join(dir, "static")
	cmd := exec.Command("go", "build", "-o", static, src)
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOFLAGS=")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Skipf("cannot build a static binary: %v: %s", err, out)
	}
	if dynamic(static) {
		t.Error("a CGO_ENABLED=0 build: dynamic")
	}
	if dynamic(src) || dynamic(filepath.Join(dir, "none")) {
		t.Error("a file that is no ELF binary, or none: dynamic")
	}
	sh, err := exec.LookPath("sh")
	if err != nil {
		t.Skip("no sh")
	}
	out, err := exec.Command("ldd", sh).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "=>") {
		t.Skipf("cannot tell whether %s is dynamic: %v %s", sh, err, out)
	}
	if !dynamic(sh) {
		t.Errorf("%s, linked against %s: not dynamic", sh, strings.TrimSpace(string(out)))
	}
}
