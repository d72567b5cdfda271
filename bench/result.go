package bench

import (
	"encoding/json"
	"math"
)

// Result is one measured case, as the JSON report and the tables show it.
// Figures a case does not have are zero here and null in JSON.
type Result struct {
	Scenario  string
	Transport string
	Mode      string
	Size      int
	Batch     int
	Ops       int
	NsPerOp   float64 // mean time per operation (round trip, message, op)
	P50Ns     float64 // latency percentiles, where measured per operation
	P99Ns     float64
	MaxNs     float64
	MsgsPerS  float64
	BytesPerS float64
	Baseline  string  // the transport this result is compared with
	Ratio     float64 // speed over the baseline's speed: higher is better
	Note      string  // why figures are missing, or what to know about them
	Failed    bool    // the case did not complete: figures are absent
}

// resultFor starts a result for c.
func resultFor(c Case) Result {
	return Result{Scenario: c.Scenario, Transport: c.Transport, Mode: c.Mode, Size: c.Size, Batch: c.Batch, Ops: c.Ops}
}

// failed turns r into a failed result noting err.
func (r Result) failed(err error) Result {
	r.NsPerOp, r.P50Ns, r.P99Ns, r.MaxNs, r.MsgsPerS, r.BytesPerS = 0, 0, 0, 0, 0, 0
	r.Failed = true
	r.Note = "FAILED: " + err.Error()
	return r
}

// speed is what the ratio compares: higher is better.
func (r Result) speed(k Kind) float64 {
	if r.Failed {
		return 0
	}
	if k == Latency {
		if r.P50Ns > 0 {
			return 1 / r.P50Ns
		}
		return 0
	}
	return r.MsgsPerS
}

// jsonResult is the stable JSON schema of a result: numbers as numbers,
// absent figures as null.
type jsonResult struct {
	Scenario  string   `json:"scenario"`
	Transport string   `json:"transport"`
	Mode      *string  `json:"mode"`
	Size      *int     `json:"size"`
	Batch     *int     `json:"batch"`
	Ops       int      `json:"ops"`
	NsPerOp   *float64 `json:"ns_per_op"`
	P50Ns     *float64 `json:"p50_ns"`
	P99Ns     *float64 `json:"p99_ns"`
	MaxNs     *float64 `json:"max_ns"`
	MsgsPerS  *float64 `json:"msgs_per_s"`
	BytesPerS *float64 `json:"bytes_per_s"`
	Baseline  *string  `json:"baseline"`
	Ratio     *float64 `json:"ratio"`
	Note      *string  `json:"note"`
}

func optS(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func optI(i int) *int {
	if i == 0 {
		return nil
	}
	return &i
}

func optF(f float64) *float64 {
	if f == 0 || math.IsNaN(f) || math.IsInf(f, 0) {
		return nil
	}
	return &f
}

func valS(p *string) string {
	if p == nil {
		return ""
	}
	return *p
}

func valI(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}

func valF(p *float64) float64 {
	if p == nil {
		return 0
	}
	return *p
}

// MarshalJSON writes r in the report's schema.
func (r Result) MarshalJSON() ([]byte, error) {
	return json.Marshal(jsonResult{
		Scenario: r.Scenario, Transport: r.Transport, Mode: optS(r.Mode),
		Size: optI(r.Size), Batch: optI(r.Batch), Ops: r.Ops,
		NsPerOp: optF(r.NsPerOp), P50Ns: optF(r.P50Ns), P99Ns: optF(r.P99Ns), MaxNs: optF(r.MaxNs),
		MsgsPerS: optF(r.MsgsPerS), BytesPerS: optF(r.BytesPerS),
		Baseline: optS(r.Baseline), Ratio: optF(r.Ratio), Note: optS(r.Note),
	})
}

// UnmarshalJSON reads r from the report's schema.
func (r *Result) UnmarshalJSON(b []byte) error {
	var j jsonResult
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*r = Result{
		Scenario: j.Scenario, Transport: j.Transport, Mode: valS(j.Mode),
		Size: valI(j.Size), Batch: valI(j.Batch), Ops: j.Ops,
		NsPerOp: valF(j.NsPerOp), P50Ns: valF(j.P50Ns), P99Ns: valF(j.P99Ns), MaxNs: valF(j.MaxNs),
		MsgsPerS: valF(j.MsgsPerS), BytesPerS: valF(j.BytesPerS),
		Baseline: valS(j.Baseline), Ratio: valF(j.Ratio), Note: valS(j.Note),
	}
	r.Failed = len(r.Note) >= 7 && r.Note[:7] == "FAILED:"
	return nil
}

// Report is a whole run: the machine and every result.
type Report struct {
	Machine Machine  `json:"machine"`
	Results []Result `json:"results"`
}
