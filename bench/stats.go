package bench

import (
	"slices"
	"strconv"
	"time"
)

// latencies collects one duration per operation.
type latencies []time.Duration

// fill sets r's latency figures: mean, p50, p99, max, and round trips per
// second from the mean.
func (l latencies) fill(r *Result) {
	if len(l) == 0 {
		return
	}
	s := slices.Clone(l)
	slices.Sort(s)
	var sum time.Duration
	for _, d := range s {
		sum += d
	}
	r.Ops = len(s)
	r.NsPerOp = float64(sum) / float64(len(s))
	r.P50Ns = float64(s[(len(s)-1)/2])
	r.P99Ns = float64(s[min(len(s)-1, (len(s)*99+99)/100-1)])
	r.MaxNs = float64(s[len(s)-1])
	r.MsgsPerS = 1e9 / r.NsPerOp
}

// throughput sets r's rate figures from ops messages of size bytes in d.
func throughput(r *Result, ops, size int, d time.Duration) {
	if d <= 0 {
		d = 1
	}
	r.Ops = ops
	r.NsPerOp = float64(d) / float64(ops)
	r.MsgsPerS = float64(ops) / d.Seconds()
	if size > 0 {
		r.BytesPerS = r.MsgsPerS * float64(size)
	}
}

func itoa(i int) string { return strconv.Itoa(i) }
