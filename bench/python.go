package bench

import (
	"bytes"
	"context"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/shmkit/shmkit/internal/kernel"
)

// cpython-mp: CPython's multiprocessing doing the same scenario, through
// python/mp_bench.py (embedded, written to a temporary file per run), run
// with python3 from PATH. Where there is none the case is skipped with a
// note. The script checks every byte as the Go side does, times itself, and
// prints one JSON object.
//
// It is a transport like the others, of the kind that runs whole cases
// itself (transport.run): RunCase hands it every case of the scenarios the
// script has a body for (pyScenarios), and no scenario's body knows of it.

const cpythonMP = "cpython-mp"

// pyScenarios are the scenarios python/mp_bench.py has a body for, each
// with what the runner does to a case before handing it over (nil: no
// change): a reason to skip it, or a change to its operation count.
var pyScenarios = map[string]func(c *Case) (skip string){
	"pingpong": nil,
	"stream":   nil,
	"fanin": func(c *Case) string {
		c.Ops = (c.Ops + faninProducers - 1) / faninProducers * faninProducers
		return ""
	},
	"lock":         nil,
	"value":        nil,
	"dict":         nil,
	"pool-trivial": nil,
	"pool-cpu":     nil,
	"spawn":        func(c *Case) string { return spawnSkip(*c) },
}

var _ = addTransport(&transport{name: cpythonMP, run: runPython, runs: slices.Sorted(maps.Keys(pyScenarios))})

//go:embed python/mp_bench.py
var mpBenchScript []byte

var python = struct {
	once   sync.Once
	path   string // the interpreter
	script string // the script's temporary copy
	err    error
}{}

func findPython() (interp, script string, err error) {
	python.once.Do(func() {
		python.path, python.err = exec.LookPath("python3")
		if python.err != nil {
			python.err = errors.New("python3 not on PATH")
			return
		}
		f, err := os.CreateTemp("", "shmkit-mp-bench-*.py")
		if err != nil {
			python.err = err
			return
		}
		defer f.Close()
		if _, err := f.Write(mpBenchScript); err != nil {
			python.err = err
			return
		}
		python.script = f.Name()
	})
	return python.path, python.script, python.err
}

// CleanupPython removes the temporary copy of the Python script, if a run
// made one. Callers of Run call it once when done.
func CleanupPython() {
	if python.script != "" {
		os.Remove(python.script)
	}
}

type pyOut struct {
	Ops     int     `json:"ops"`
	NsPerOp float64 `json:"ns_per_op"`
	P50Ns   float64 `json:"p50_ns"`
	P99Ns   float64 `json:"p99_ns"`
	MaxNs   float64 `json:"max_ns"`
	Python  string  `json:"python"`
}

// runPython runs case c in the script and reads its answer.
func runPython(ctx context.Context, c Case) Result {
	if prepare := pyScenarios[c.Scenario]; prepare != nil {
		if why := prepare(&c); why != "" {
			r := resultFor(c)
			r.Note = "skipped: " + why
			return r
		}
	}
	r := resultFor(c)
	interp, script, err := findPython()
	if err != nil {
		r.Note = "skipped: " + err.Error()
		return r
	}
	if c.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.Timeout)
		defer cancel()
	}
	c.Ops = max(c.Ops, 1)
	r.Ops = c.Ops
	cmd := exec.CommandContext(ctx, interp, script, c.Scenario, itoa(c.Size), itoa(c.Ops), itoa(c.hooks.Corrupt), c.Mode)
	// Kill the whole process group: the script's own children too.
	cmd.SysProcAttr = kernel.GroupLeaderAttr()
	cmd.Cancel = func() error { return kernel.KillGroup(cmd.Process.Pid) }
	cmd.WaitDelay = 2 * time.Second
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err = cmd.Run()
	if ctx.Err() == context.DeadlineExceeded {
		return r.failed(fmt.Errorf("hung: no result within %v; killed", c.Timeout))
	}
	if err != nil {
		msg := strings.Join(strings.Fields(strings.ReplaceAll(stderr.String(), "\n", "; ")), " ")
		if len(msg) > 400 {
			msg = msg[:400] + "…"
		}
		return r.failed(fmt.Errorf("%w: %s", err, msg))
	}
	var o pyOut
	if err := json.Unmarshal(stdout.Bytes(), &o); err != nil {
		return r.failed(fmt.Errorf("reading the script's output: %w", err))
	}
	r.Ops, r.NsPerOp = o.Ops, o.NsPerOp
	if s, ok := Lookup(c.Scenario); ok && s.Kind == Latency {
		r.P50Ns, r.P99Ns, r.MaxNs = o.P50Ns, o.P99Ns, o.MaxNs
		r.MsgsPerS = 1e9 / o.NsPerOp
	} else {
		throughput(&r, o.Ops, c.Size, time.Duration(o.NsPerOp*float64(o.Ops)))
		r.P50Ns, r.P99Ns, r.MaxNs = o.P50Ns, o.P99Ns, o.MaxNs // where timed one by one
	}
	r.Note = "CPython " + o.Python
	return r
}
