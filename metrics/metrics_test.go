package metrics_test

import (
	"context"
	"encoding/json"
	"errors"
	"expvar"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/shmkit/shmkit/internal/testutil/leak"
	"github.com/shmkit/shmkit/internal/testutil/segtest"
	"github.com/shmkit/shmkit/manager"
	"github.com/shmkit/shmkit/metrics"
	"github.com/shmkit/shmkit/pool"
	"github.com/shmkit/shmkit/process"
	"github.com/shmkit/shmkit/ring"
)

func TestMain(m *testing.M) {
	process.Main() // the pool's workers are this binary
	os.Exit(leak.Main(m))
}

func TestSources(t *testing.T) {
	ctx := context.Background()
	seg := segtest.NewSize(t, 4<<20)
	r, err := ring.NewRing(seg, "r", &ring.Options{Capacity: 4096})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.Write(ctx, []byte("hello")); err != nil {
		t.Fatal(err)
	}
	jq, err := ring.NewJoinableQueue[int](seg, "jq", nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if err := jq.Put(ctx, i); err != nil {
			t.Fatal(err)
		}
	}
	d, err := manager.NewDict(seg, "d", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Set(ctx, "k", []byte("v")); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		src  metrics.Source
		kind string
		want map[string]float64
	}{
		{metrics.Ring("r", r), metrics.KindRing, map[string]float64{"messages_in": 1, "bytes_in": 5, "cap": 4096, "closed": 0}},
		{metrics.Queue("jq", jq), metrics.KindQueue, map[string]float64{"messages_in": 3, "len": 3, "unfinished": 3}},
		{metrics.Dict("d", d), metrics.KindDict, map[string]float64{"entries": 1}},
	} {
		m := c.src.Map()
		if c.src.Kind != c.kind || len(m) != len(c.src.Fields) || len(c.src.Values()) != len(c.src.Fields) {
			t.Errorf("%s %q: %d fields, %d values: %v", c.src.Kind, c.src.Name, len(c.src.Fields), len(m), m)
		}
		for k, v := range c.want {
			if m[k] != v {
				t.Errorf("%s %q: %s = %g, want %g (all: %v)", c.kind, c.src.Name, k, m[k], v, m)
			}
		}
	}
	if m := metrics.Dict("d", d).Map(); m["max_entries"] <= 0 || m["arena_bytes"] <= 0 || m["used_bytes"] <= 0 {
		t.Errorf("dict sizes: %v", m)
	}
	if _, ok := metrics.Queue("q", jq.Queue).Map()["unfinished"]; ok {
		t.Error("a plain Queue reports unfinished")
	}
}

func TestPoolSource(t *testing.T) {
	ctx := context.Background()
	p, err := pool.New(ctx, pool.Options{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	src := metrics.Pool("workers", p)
	if m := src.Map(); m["workers"] != 1 || m["workers_running"] != 1 {
		t.Errorf("a pool of one: %v", m)
	}
	p.Close()
	if err := p.Join(ctx); err != nil {
		t.Fatal(err)
	}
}

func TestPublish(t *testing.T) {
	seg := segtest.New(t)
	q, err := ring.NewMPMC(seg, "q", nil)
	if err != nil {
		t.Fatal(err)
	}
	src := metrics.Queue("test-publish", q)
	if err := metrics.Publish(src); err != nil {
		t.Fatal(err)
	}
	var m map[string]float64
	if err := json.Unmarshal([]byte(expvar.Get(src.VarName()).String()), &m); err != nil || len(m) != len(src.Fields) {
		t.Fatalf("expvar %s: %v, %v", src.VarName(), m, err)
	}
	if err := metrics.Publish(metrics.Ring("other", q), src); !errors.Is(err, os.ErrExist) {
		t.Errorf("publishing a name twice: %v, want os.ErrExist", err)
	}
	if expvar.Get("shmkit.ring.other") != nil {
		t.Error("a failed Publish published some of its sources")
	}
	if err := metrics.Publish(metrics.Source{Kind: metrics.KindQueue}); !errors.Is(err, os.ErrInvalid) {
		t.Errorf("publishing a zero Source: %v, want os.ErrInvalid", err)
	}
}

// Package metrics is expvar only: a program that does not use metrics/prom
// does not link the Prometheus client.
func TestNoPrometheus(t *testing.T) {
	gobin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command:", err)
	}
	out, err := exec.Command(gobin, "list", "-deps", "github.com/shmkit/shmkit/metrics").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	if strings.Contains(string(out), "prometheus") {
		t.Errorf("package metrics depends on the Prometheus client:\n%s", out)
	}
}
