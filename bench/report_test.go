package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"math"
	"sort"
	"strings"
	"testing"
	"time"
)

// The JSON schema of a report, as the issue fixes it: every key present,
// numbers as numbers, absent figures as null.
var (
	machineKeys = map[string]string{"cpu": "string", "cores": "number", "gomaxprocs": "number", "kernel": "string", "go": "string"}
	resultKeys  = map[string]string{
		"scenario": "string", "transport": "string", "mode": "string?", "size": "number?", "batch": "number?",
		"ops": "number", "ns_per_op": "number?", "p50_ns": "number?", "p99_ns": "number?", "max_ns": "number?",
		"msgs_per_s": "number?", "bytes_per_s": "number?", "baseline": "string?", "ratio": "number?", "note": "string?",
	}
)

func checkObject(t *testing.T, what string, obj map[string]any, schema map[string]string) {
	t.Helper()
	for k := range obj {
		if _, ok := schema[k]; !ok {
			t.Errorf("%s: unexpected key %q", what, k)
		}
	}
	for k, typ := range schema {
		v, ok := obj[k]
		if !ok {
			t.Errorf("%s: key %q missing", what, k)
			continue
		}
		nullable := strings.HasSuffix(typ, "?")
		typ = strings.TrimSuffix(typ, "?")
		switch v := v.(type) {
		case nil:
			if !nullable {
				t.Errorf("%s: %q is null", what, k)
			}
		case string:
			if typ != "string" {
				t.Errorf("%s: %q is a string, want a %s", what, k, typ)
			}
		case float64:
			if typ != "number" || math.IsNaN(v) {
				t.Errorf("%s: %q is a number, want a %s", what, k, typ)
			}
		default:
			t.Errorf("%s: %q has type %T", what, k, v)
		}
	}
}

// validateReport checks b against the schema and returns the results.
func validateReport(t *testing.T, b []byte) []map[string]any {
	t.Helper()
	var top map[string]any
	if err := json.Unmarshal(b, &top); err != nil {
		t.Fatalf("report is not JSON: %v", err)
	}
	if len(top) != 2 {
		t.Errorf("report has keys %v, want machine and results", keys(top))
	}
	m, ok := top["machine"].(map[string]any)
	if !ok {
		t.Fatalf("machine is %T", top["machine"])
	}
	checkObject(t, "machine", m, machineKeys)
	rs, ok := top["results"].([]any)
	if !ok {
		t.Fatalf("results is %T", top["results"])
	}
	var out []map[string]any
	for i, r := range rs {
		obj, ok := r.(map[string]any)
		if !ok {
			t.Fatalf("result %d is %T", i, r)
		}
		checkObject(t, "result", obj, resultKeys)
		out = append(out, obj)
	}
	return out
}

func keys(m map[string]any) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestReportJSONSchema runs a small real suite and validates its JSON.
func TestReportJSONSchema(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	rep, err := Run(ctx, Options{
		Config:     Config{Quick: true, Sizes: []int{64}, MaxOps: 500},
		Only:       []string{"pingpong", "stream", "memcpy"},
		Transports: []string{"os-pipe", "pipe-raw", "shm-spsc", "memcpy"},
	})
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(rep)
	if err != nil {
		t.Fatal(err)
	}
	rs := validateReport(t, b)
	if len(rs) != len(rep.Results) || len(rs) == 0 {
		t.Fatalf("%d results in JSON, %d in the report", len(rs), len(rep.Results))
	}
	sawBaseline := false
	for i, r := range rs {
		res := rep.Results[i]
		if res.Failed {
			t.Errorf("%s/%s failed: %s", res.Scenario, res.Transport, res.Note)
			continue
		}
		if res.Scenario == "memcpy" {
			if r["ratio"] != nil || r["baseline"] != nil {
				t.Errorf("memcpy has a baseline: %v", r)
			}
			continue
		}
		base, _ := r["baseline"].(string)
		if base != "os-pipe" && base != "pipe-raw" {
			t.Errorf("%s/%s: baseline %v", res.Scenario, res.Transport, r["baseline"])
		}
		if base == res.Transport && res.Batch == 1 {
			sawBaseline = true
			if res.Ratio != 1 {
				t.Errorf("%s: the baseline's own ratio is %v", res.Transport, res.Ratio)
			}
		}
		if res.Scenario == "pingpong" && (r["p50_ns"] == nil || r["bytes_per_s"] != nil) {
			t.Errorf("pingpong figures: %v", r)
		}
		if res.Scenario == "stream" && (r["bytes_per_s"] == nil || r["p50_ns"] != nil) {
			t.Errorf("stream figures: %v", r)
		}
	}
	if !sawBaseline {
		t.Error("no result is its own baseline")
	}
	// And back: a report read from JSON is the report written.
	var back Report
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if len(back.Results) != len(rep.Results) || back.Results[0] != rep.Results[0] || back.Machine != rep.Machine {
		t.Fatalf("round trip changed the report:\n%+v\n%+v", back.Results[0], rep.Results[0])
	}
}

// TestFailedResultJSON: a failed case keeps its names and nulls its figures.
func TestFailedResultJSON(t *testing.T) {
	r := resultFor(Case{Scenario: "stream", Transport: "tcp-loopback", Size: 64, Batch: 1, Ops: 10}).failed(errors.New("boom"))
	b, err := json.Marshal(Report{Machine: ThisMachine(), Results: []Result{r}})
	if err != nil {
		t.Fatal(err)
	}
	rs := validateReport(t, b)
	if rs[0]["ns_per_op"] != nil || rs[0]["ratio"] != nil || rs[0]["note"] != "FAILED: boom" {
		t.Fatalf("failed result: %v", rs[0])
	}
}

// TestRunGoesOnAfterFailure: a case that fails mid-run is a note, and the
// cases after it still run and compare with the baseline.
func TestRunGoesOnAfterFailure(t *testing.T) {
	rs := []Result{
		RunCase(context.Background(), Case{Scenario: "stream", Transport: "pipe-raw", Size: 64, Batch: 1, Ops: 100, Timeout: time.Minute}),
		RunCase(context.Background(), Case{Scenario: "stream", Transport: "unix-stream", Size: 64, Batch: 1, Ops: 100, Timeout: time.Minute, hooks: testHooks{Corrupt: 5}}),
		RunCase(context.Background(), Case{Scenario: "stream", Transport: "go-chan", Size: 64, Batch: 1, Ops: 100, Timeout: time.Minute}),
	}
	Compare(rs)
	if rs[0].Failed || rs[2].Failed || !rs[1].Failed {
		t.Fatalf("failed flags: %v %v %v", rs[0].Failed, rs[1].Failed, rs[2].Failed)
	}
	if rs[2].Baseline != "pipe-raw" || rs[2].Ratio <= 0 || rs[1].Ratio != 0 {
		t.Fatalf("compare: %+v / %+v", rs[1], rs[2])
	}
	var buf bytes.Buffer
	WriteTable(&buf, Report{Machine: ThisMachine(), Results: rs})
	if !strings.Contains(buf.String(), "FAILED: ") || !strings.Contains(buf.String(), "go-chan") {
		t.Fatalf("table:\n%s", buf.String())
	}
}

// TestValidate: bad names and sizes are refused before anything runs.
func TestValidate(t *testing.T) {
	for _, o := range []Options{
		{Only: []string{"nope"}},
		{Transports: []string{"carrier-pigeon"}},
		{Config: Config{Sizes: []int{4}}},
		{Config: Config{Sizes: []int{MaxSize + 1}}},
	} {
		if err := o.Validate(); err == nil {
			t.Errorf("%+v: accepted", o)
		}
		if _, err := Run(context.Background(), o); err == nil {
			t.Errorf("%+v: Run accepted", o)
		}
	}
	if err := (Options{Only: []string{"stream"}, Transports: []string{"shm-spsc", "cpython-mp"}, Config: Config{Sizes: []int{64, 1 << 20}}}).Validate(); err != nil {
		t.Errorf("good options refused: %v", err)
	}
}
