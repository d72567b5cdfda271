package bench

import (
	"context"
	"strings"
	"testing"
	"time"
)

// The go test -bench entry points: Benchmark<Scenario>/<transport>/<size>,
// one body for every transport. b.N is the number of operations (round
// trips, messages); ns/op, MB/s and the percentiles are the suite's own
// figures, timed between its start and finish signals, so process start-up
// is not in them. CI runs each once with -benchtime=1x.

func BenchmarkPingpong(b *testing.B) { benchScenario(b, "pingpong") }
func BenchmarkStream(b *testing.B)   { benchScenario(b, "stream") }
func BenchmarkFanin(b *testing.B)    { benchScenario(b, "fanin") }
func BenchmarkMemcpy(b *testing.B)   { benchScenario(b, "memcpy") }

// The scenarios without messages: b.N is the number of operations (lock
// and unlock, increments, dict operations, tasks, starts), all processes
// together; msgs/s is operations per second.
func BenchmarkLock(b *testing.B)        { benchScenario(b, "lock") }
func BenchmarkValue(b *testing.B)       { benchScenario(b, "value") }
func BenchmarkDict(b *testing.B)        { benchScenario(b, "dict") }
func BenchmarkPoolTrivial(b *testing.B) { benchScenario(b, "pool-trivial") }
func BenchmarkPoolCPU(b *testing.B)     { benchScenario(b, "pool-cpu") }
func BenchmarkSpawn(b *testing.B)       { benchScenario(b, "spawn") }

func benchScenario(b *testing.B, name string) {
	s, ok := Lookup(name)
	if !ok {
		b.Fatalf("no scenario %q", name)
	}
	for _, c := range s.Cases(Config{Quick: true}) {
		b.Run(c.Label(), func(b *testing.B) {
			c.Ops = b.N
			c.Timeout = max(c.Timeout, 5*time.Minute) // b.N may be large
			b.ReportAllocs()
			r := RunCase(context.Background(), c)
			if strings.HasPrefix(r.Note, "skipped:") {
				b.Skip(r.Note)
			}
			if r.Failed {
				b.Fatal(r.Note)
			}
			perOp := c.Size // bytes moved per operation
			if s.Kind == Latency {
				perOp = 2 * c.Size // there and back
			}
			if perOp > 0 {
				b.SetBytes(int64(perOp))
				b.ReportMetric(float64(perOp)*r.MsgsPerS/1e6, "MB/s")
			}
			b.ReportMetric(r.NsPerOp, "ns/op")
			if r.P50Ns > 0 {
				b.ReportMetric(r.P50Ns, "p50-ns")
				b.ReportMetric(r.P99Ns, "p99-ns")
			}
			b.ReportMetric(r.MsgsPerS, "msgs/s")
		})
	}
}
