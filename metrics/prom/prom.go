// Package prom exports shmkit's metrics Sources to Prometheus: a
// prometheus.Collector over the Stats of rings, queues, dicts and pools.
//
//	c, err := prom.New(metrics.Queue("jobs", q), metrics.Dict("cache", d))
//	...
//	prometheus.MustRegister(c)
//	// shmkit_queue_messages_in_total{name="jobs"} 2
//	// shmkit_queue_len{name="jobs"} 1
//	// shmkit_dict_entries{name="cache"} 10
//
// Every metric is named shmkit_<kind>_<field> (with _total for the
// counters) and labelled with the object's name; the numbers are read at
// each scrape, without locks (see package metrics for what they count).
//
// This is the one shmkit package that imports
// github.com/prometheus/client_golang: the core never does, and package
// metrics (expvar) does not either.
//
// Sharp edge: a scrape reads the objects' shared memory, so Unregister
// the collector before closing a segment whose objects it reads.
package prom

import (
	"fmt"
	"os"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/shmkit/shmkit/metrics"
)

// Collector is a prometheus.Collector of a fixed set of Sources.
type Collector struct {
	srcs  []metrics.Source
	descs [][]*prometheus.Desc // per source, per field
	all   []*prometheus.Desc   // each distinct Desc once, for Describe
}

var _ prometheus.Collector = (*Collector)(nil)

// New returns a Collector of srcs. Two sources of the same kind and name
// would make the same series: that is an error wrapping os.ErrExist, and
// a source without a name one wrapping os.ErrInvalid.
func New(srcs ...metrics.Source) (*Collector, error) {
	c := &Collector{srcs: srcs}
	byName := map[string]*prometheus.Desc{}
	series := map[string]bool{}
	for _, s := range srcs {
		if s.Name == "" || s.Kind == "" {
			return nil, fmt.Errorf("collecting a %s Source without a name: %w", s.Kind, os.ErrInvalid)
		}
		id := s.Kind + "\x00" + s.Name
		if series[id] {
			return nil, fmt.Errorf("collecting %s %q twice: %w", s.Kind, s.Name, os.ErrExist)
		}
		series[id] = true
		ds := make([]*prometheus.Desc, len(s.Fields))
		for i, f := range s.Fields {
			name := MetricName(s.Kind, f)
			d, ok := byName[name]
			if !ok {
				d = prometheus.NewDesc(name, f.Help, []string{"name"}, nil)
				byName[name] = d
				c.all = append(c.all, d)
			}
			ds[i] = d
		}
		c.descs = append(c.descs, ds)
	}
	return c, nil
}

// MetricName is the Prometheus name of field f of a source of kind:
// "shmkit_queue_messages_in_total", "shmkit_dict_entries".
func MetricName(kind string, f metrics.Field) string {
	n := "shmkit_" + kind + "_" + f.Name
	if f.Counter {
		n += "_total"
	}
	return n
}

// Describe sends the descriptors of every metric the collector makes.
func (c *Collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.all {
		ch <- d
	}
}

// Collect reads every source now and sends its numbers.
func (c *Collector) Collect(ch chan<- prometheus.Metric) {
	for i, s := range c.srcs {
		for j, v := range s.Values() {
			typ := prometheus.GaugeValue
			if s.Fields[j].Counter {
				typ = prometheus.CounterValue
			}
			ch <- prometheus.MustNewConstMetric(c.descs[i][j], typ, v, s.Name)
		}
	}
}
