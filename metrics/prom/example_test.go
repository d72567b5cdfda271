package prom_test

import (
	"context"
	"fmt"
	"log"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/shmkit/shmkit/metrics"
	"github.com/shmkit/shmkit/metrics/prom"
	"github.com/shmkit/shmkit/ring"
	"github.com/shmkit/shmkit/shm"
)

// A queue's counters as Prometheus metrics. A service registers the
// collector once (prometheus.MustRegister(c)) and serves promhttp.Handler;
// here a registry of its own is gathered and printed.
func ExampleNew() {
	seg, err := shm.Anonymous(1<<20, nil)
	if err != nil {
		log.Fatal(err)
	}
	defer seg.Close()
	jobs, err := ring.NewQueue[string](seg, "jobs", &ring.Options{Capacity: 64})
	if err != nil {
		log.Fatal(err)
	}
	ctx := context.Background()
	for _, j := range []string{"resize", "upload"} {
		if err := jobs.Put(ctx, j); err != nil {
			log.Fatal(err)
		}
	}
	if _, err := jobs.Get(ctx); err != nil {
		log.Fatal(err)
	}

	c, err := prom.New(metrics.Queue("jobs", jobs))
	if err != nil {
		log.Fatal(err)
	}
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	defer reg.Unregister(c) // before the segment closes: a scrape reads it
	families, err := reg.Gather()
	if err != nil {
		log.Fatal(err)
	}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			v := m.GetGauge().GetValue() + m.GetCounter().GetValue()
			fmt.Printf("%s{name=%q} %g\n", f.GetName(), m.GetLabel()[0].GetValue(), v)
		}
	}
	// Output:
	// shmkit_queue_bytes_in_total{name="jobs"} 12
	// shmkit_queue_bytes_out_total{name="jobs"} 6
	// shmkit_queue_cap{name="jobs"} 64
	// shmkit_queue_closed{name="jobs"} 0
	// shmkit_queue_dead_skipped_total{name="jobs"} 0
	// shmkit_queue_empty_waits_total{name="jobs"} 0
	// shmkit_queue_full_waits_total{name="jobs"} 0
	// shmkit_queue_len{name="jobs"} 1
	// shmkit_queue_messages_in_total{name="jobs"} 2
	// shmkit_queue_messages_out_total{name="jobs"} 1
	// shmkit_queue_sleeps_total{name="jobs"} 0
	// shmkit_queue_wakes_total{name="jobs"} 0
}
