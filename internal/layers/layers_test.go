package layers

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/shmkit/shmkit"

// mayImport is the layer picture of docs/architecture.md as a table: the
// shmkit packages each package may import directly (paths relative to the
// module). What a package may import at any depth is the closure. Every
// non-internal package (and an internal one above one, as segtest is
// above shm) may also import any internal package but internal/testutil
// (test helpers) and internal/layers; the imports of the internal packages
// at the bottom are listed in full.
var mayImport = map[string][]string{
	// internal: below everything.
	"internal/kernel":        {},
	"internal/plain":         {},
	"internal/seq":           {},
	"internal/owner":         {"internal/kernel"},
	"internal/wire":          {"internal/plain", "codec"},
	"internal/testutil":      {}, // usable by every package's tests, shm's own included
	"internal/testutil/leak": {},
	"internal/layers":        {},

	// Test helpers that need shmkit, above what they import.
	"internal/testutil/segtest":  {"shm", "codec"},
	"internal/testutil/proctest": {"process"}, // for external test packages: ring_test, sync_test, …

	// The core.
	// codec is the floor of the public packages (it imports only
	// internal/plain): every package may reach it, if only through
	// internal/wire's error registry, where each package's sentinels are
	// registered so that they cross processes.
	"codec":   {},
	"shm":     {"codec"},
	"sync":    {"shm", "codec"},
	"value":   {"shm", "sync", "codec"},
	"array":   {"shm", "sync", "value", "codec"},
	"ring":    {"shm", "sync", "value", "array", "codec"},
	"process": {"shm", "codec"}, // shared objects travel as handles: it knows no kind
	"pool":    {"process", "ring", "codec"},
	// manager: the user-facing API over its two halves; never process or
	// pool (children get its objects as handles).
	"manager":        {"manager/remote", "manager/table", "ring", "array", "value", "sync", "shm", "codec"},
	"manager/remote": {"manager/table", "ring", "codec", "shm"}, // Serve, Dial, the frames and the handshake; remote queues are ring's
	"manager/table":  {"shm", "codec"},                          // the Dict, List and Namespace table in shared memory

	// Above the core: anything of it.
	"bench":               {"cluster/natscluster", "cluster/natsserver", "manager", "pool", "process", "ring", "array", "value", "sync", "shm", "codec"},
	"examples/quickstart": {"manager", "pool", "process", "ring", "array", "value", "sync", "shm", "codec"},
	"cmd/shmkit":          {"bench", "manager", "pool", "process", "ring", "array", "value", "sync", "shm", "codec"},
	"cmd/shmkit-plot":     {"bench"}, // the charts: out of the binary that bench re-executes for its peers
	// Past one machine: the same Pool, Dict and Queue on NATS JetStream,
	// above the core (which never imports them); natsserver embeds a
	// server for tests, bench and examples, apart so that a client links
	// none.
	"cluster/natsserver":  {},
	"cluster/natscluster": {"pool", "process", "manager", "ring", "codec", "shm"},
	// Metrics at the core's edge: Stats to expvar (metrics, stdlib only)
	// and to Prometheus (metrics/prom, the one importer of its client).
	"metrics":      {"manager", "pool", "ring"},
	"metrics/prom": {"metrics"},
}

// core are the packages that must never import a cluster backend, NATS or
// a metrics package (DESIGN: the core never imports cluster/nats).
var core = []string{"shm", "sync", "value", "array", "ring", "process", "pool", "manager", "manager/remote", "manager/table"}

// foreign are substrings of import paths the core must not reach.
var foreign = []string{"/cluster", "nats", "metrics", "prometheus", "opentelemetry"}

type pkg struct {
	ImportPath string
	Standard   bool
	Deps       []string
}

// list runs go list -deps -json over the module for one target.
func list(t *testing.T, goos, goarch string) []pkg {
	t.Helper()
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command:", err)
	}
	cmd := exec.Command(gobin, "list", "-deps", "-json=ImportPath,Standard,Deps", module+"/...")
	cmd.Env = append(os.Environ(), "GOOS="+goos, "GOARCH="+goarch, "CGO_ENABLED=0")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	var pkgs []pkg
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p pkg
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("decoding go list output: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	return pkgs
}

// allowed returns every package rel may import at any depth.
func allowed(rel string) map[string]bool {
	seen := map[string]bool{}
	var walk func(string)
	walk = func(p string) {
		for _, d := range mayImport[p] {
			if !seen[d] {
				seen[d] = true
				walk(d)
			}
		}
	}
	walk(rel)
	return seen
}

// reachesPublic reports whether rel is a non-internal package or may
// import one (internal/testutil/segtest may import shm): such a package
// may also import what that one does, any internal package.
func reachesPublic(rel string, may map[string]bool) bool {
	if !strings.HasPrefix(rel, "internal/") {
		return true
	}
	for p := range may {
		if !strings.HasPrefix(p, "internal/") {
			return true
		}
	}
	return false
}

// internalOK reports whether a non-internal package may import dep, an
// internal package, without the table naming it.
func internalOK(dep string) bool {
	return strings.HasPrefix(dep, "internal/") &&
		dep != "internal/layers" && dep != "internal/testutil" && !strings.HasPrefix(dep, "internal/testutil/")
}

func TestLayers(t *testing.T) {
	for _, target := range [][2]string{{"linux", "amd64"}, {"darwin", "arm64"}} {
		t.Run(target[0], func(t *testing.T) {
			pkgs := list(t, target[0], target[1])
			checked := 0
			for _, p := range pkgs {
				rel, ok := strings.CutPrefix(p.ImportPath, module+"/")
				if p.Standard || !ok {
					continue
				}
				if _, placed := mayImport[rel]; !placed {
					t.Errorf("package %s has no layer: place it in mayImport (internal/layers) and in docs/architecture.md", rel)
					continue
				}
				checked++
				may := allowed(rel)
				for _, dep := range p.Deps {
					d, ours := strings.CutPrefix(dep, module+"/")
					switch {
					case !ours:
						if slices.Contains(core, rel) || strings.HasPrefix(rel, "internal/") {
							for _, f := range foreign {
								if strings.Contains(dep, f) {
									t.Errorf("core package %s imports %s: the core never imports a cluster, NATS or metrics package", rel, dep)
								}
							}
						}
					case may[d]:
					case internalOK(d) && reachesPublic(rel, may):
					default:
						t.Errorf("%s imports %s, which is not below it (it may import %v and internal/…): see docs/architecture.md",
							rel, d, keys(may))
					}
				}
			}
			if checked < len(core) {
				t.Fatalf("checked %d shmkit packages: go list found too few", checked)
			}
		})
	}
}

// The rules of the issue that made package pool, spelled out: the table
// above must keep saying them.
func TestTableKeepsTheRules(t *testing.T) {
	for _, rule := range []struct {
		pkg       string
		notAbove  []string
		whyInWord string
	}{
		{"process", []string{"ring", "sync", "value", "array", "manager", "pool"}, "process imports only shm and internal/…"},
		{"ring", []string{"process", "pool"}, "ring never imports process or pool"},
		{"sync", []string{"process", "pool", "value", "array", "ring"}, "sync is the bottom of its row"},
		{"value", []string{"process", "pool", "array", "ring"}, "value never imports process or pool"},
		{"array", []string{"process", "pool", "ring"}, "array never imports process or pool"},
		{"shm", []string{"sync", "value", "array", "ring", "process", "pool", "manager"}, "shm is below every object kind"},
		{"pool", []string{"manager", "bench"}, "pool sits below manager"},
		{"internal/testutil", []string{"shm", "process"}, "testutil imports nothing of shmkit: shm's own tests use it"},
		{"manager", []string{"process", "pool"}, "manager never imports process or pool"},
		{"manager/table", []string{"manager", "manager/remote", "ring", "process", "pool"}, "the table is below manager and remote, and knows no other kind"},
		{"manager/remote", []string{"manager", "process", "pool"}, "remote serves tables: it is below manager"},
		{"metrics", []string{"metrics/prom", "bench"}, "metrics (expvar) never links the Prometheus client"},
	} {
		ok := allowed(rule.pkg)
		for _, above := range rule.notAbove {
			if ok[above] {
				t.Errorf("the table lets %s import %s: %s", rule.pkg, above, rule.whyInWord)
			}
		}
	}
}

func keys(m map[string]bool) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
