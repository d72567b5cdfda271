package bench

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
)

// WriteTable prints the report: the machine, then one table per scenario
// with each result's ratio to its baseline from the same run.
func WriteTable(w io.Writer, rep Report) error {
	fmt.Fprintf(w, "machine: %s\n", rep.Machine)
	for _, s := range Scenarios() {
		var rs []Result
		for _, r := range rep.Results {
			if r.Scenario == s.Name {
				rs = append(rs, r)
			}
		}
		if len(rs) == 0 {
			continue
		}
		fmt.Fprintf(w, "\n%s: %s\n", s.Name, s.Doc)
		if s.RatioDoc != "" {
			fmt.Fprintf(w, "ratio = %s\n", s.RatioDoc)
		} else if len(s.Baselines) > 0 {
			how := "its messages/s over the baseline's"
			if s.Kind == Latency {
				how = "the baseline's p50 over its p50"
			}
			fmt.Fprintf(w, "ratio = %s (baseline: the faster of %s at the same size; higher is better)\n", how, strings.Join(s.Baselines, " and "))
		}
		tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
		if sizeless(rs) {
			// Operations with no message size (lock, value, dict, pool,
			// spawn): operations per second and time per operation, with
			// the median where each operation was timed on its own.
			fmt.Fprintln(tw, "transport\tops\tops/s\tns/op\tp50\tratio\t  note")
			for _, r := range rs {
				fmt.Fprintf(tw, "%s\t%d\t%s\t%s\t%s\t%s\t  %s\n", label(r), r.Ops,
					fmtRate(r.MsgsPerS, ""), fmtNs(r.NsPerOp), fmtNs(r.P50Ns), fmtRatio(r.Ratio), r.Note)
			}
		} else if s.Kind == Latency {
			fmt.Fprintln(tw, "transport\tsize\tops\tp50\tp99\tmax\tratio\t  note")
			for _, r := range rs {
				fmt.Fprintf(tw, "%s\t%s\t%d\t%s\t%s\t%s\t%s\t  %s\n", label(r), fmtSize(r.Size), r.Ops,
					fmtNs(r.P50Ns), fmtNs(r.P99Ns), fmtNs(r.MaxNs), fmtRatio(r.Ratio), r.Note)
			}
		} else {
			fmt.Fprintln(tw, "transport\tsize\tbatch\tops\tmsgs/s\tbytes/s\tns/msg\tratio\t  note")
			for _, r := range rs {
				fmt.Fprintf(tw, "%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\t  %s\n", label(r), fmtSize(r.Size), fmtBatch(r.Batch), r.Ops,
					fmtRate(r.MsgsPerS, ""), fmtRate(r.BytesPerS, "B"), fmtNs(r.NsPerOp), fmtRatio(r.Ratio), r.Note)
			}
		}
		tw.Flush()
	}
	WriteTargets(w, rep)
	return nil
}

// sizeless reports whether no result has a message size.
func sizeless(rs []Result) bool {
	for _, r := range rs {
		if r.Size > 0 {
			return false
		}
	}
	return true
}

func label(r Result) string {
	if r.Mode == "" {
		return r.Transport
	}
	return r.Transport + " " + r.Mode
}

func fmtSize(n int) string {
	switch {
	case n == 0:
		return "-"
	case n >= 1<<20 && n%(1<<20) == 0:
		return fmt.Sprintf("%d MiB", n>>20)
	case n >= 1<<10 && n%(1<<10) == 0:
		return fmt.Sprintf("%d KiB", n>>10)
	}
	return fmt.Sprintf("%d B", n)
}

func fmtBatch(b int) string {
	if b <= 1 {
		return "-"
	}
	return fmt.Sprint(b)
}

func fmtNs(ns float64) string {
	switch {
	case ns <= 0:
		return "-"
	case ns < 1e3:
		return fmt.Sprintf("%.0f ns", ns)
	case ns < 1e6:
		return fmt.Sprintf("%.2f µs", ns/1e3)
	case ns < 1e9:
		return fmt.Sprintf("%.2f ms", ns/1e6)
	}
	return fmt.Sprintf("%.2f s", ns/1e9)
}

func fmtRate(v float64, unit string) string {
	switch {
	case v <= 0:
		return "-"
	case v >= 1e9:
		return fmt.Sprintf("%.2f G%s/s", v/1e9, unit)
	case v >= 1e6:
		return fmt.Sprintf("%.2f M%s/s", v/1e6, unit)
	case v >= 1e3:
		return fmt.Sprintf("%.1f k%s/s", v/1e3, unit)
	}
	return fmt.Sprintf("%.0f %s/s", v, unit)
}

func fmtRatio(r float64) string {
	if r <= 0 {
		return "-"
	}
	if r >= 10 {
		return fmt.Sprintf("%.0f×", r)
	}
	return fmt.Sprintf("%.2f×", r)
}
