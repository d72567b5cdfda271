package main

import (
	"slices"
	"sort"

	"github.com/shmkit/shmkit/bench"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// sizeChart draws bytes/s by message size, log-log, a series per
// transport and mode (and batch): a marker at each size measured, and a
// line only between two neighbouring sizes of the chart that the series
// both measured — never across a size it skipped. The stream chart also
// has memcpy's best copy at each size, the limit, as a black dashed line.
func sizeChart(rep bench.Report, scenario string, rs []bench.Result, batched bool) *chart {
	if len(rs) == 0 {
		return nil
	}
	type series struct {
		name string
		xy   plotter.XYs
	}
	var all []*series
	byName := map[string]*series{}
	for _, r := range rs {
		n := label(r)
		s := byName[n]
		if s == nil {
			s = &series{name: n}
			byName[n] = s
			all = append(all, s)
		}
		s.xy = append(s.xy, plotter.XY{X: float64(r.Size), Y: r.BytesPerS})
	}
	sizes := distinctSizes(rs)
	var limit plotter.XYs
	if scenario == "stream" {
		lo, hi := slices.Min(sizes), slices.Max(sizes)
		for _, q := range memcpyLimit(rep) {
			if int(q.X) >= lo && int(q.X) <= hi { // only over the sizes charted
				limit = append(limit, q)
				sizes = append(sizes, int(q.X))
			}
		}
	}
	sort.Ints(sizes)
	sizes = slices.Compact(sizes)
	what := "throughput (bytes/s) by message size, unbatched"
	if batched {
		what = "throughput (bytes/s) by message size, sent in batches"
	}
	c := newChart(title(rep, scenario, what))
	p := c.p
	p.X.Label.Text = "message size (log scale)"
	p.Y.Label.Text = "throughput (log scale)"
	p.X.Scale, p.Y.Scale = plot.LogScale{}, plot.LogScale{}
	p.X.Tick.Marker = sizeTicks{}
	p.Y.Tick.Marker = logTicks{format: func(v float64) string { return shortRate(v, "B") }}
	p.Add(plotter.NewGrid())

	lo, hi := 0.0, 0.0
	extend := func(v float64) {
		if lo == 0 || v < lo {
			lo = v
		}
		hi = max(hi, v)
	}
	if len(limit) > 0 {
		l := segments(limit, sizes)
		for _, seg := range l {
			seg.Color = rgb(0x000000)
			seg.Dashes = []vg.Length{vg.Points(2), vg.Points(3)}
			seg.Width = vg.Points(1.5)
			p.Add(seg)
		}
		pts, _ := plotter.NewScatter(limit)
		pts.GlyphStyle = draw.GlyphStyle{Color: rgb(0x000000), Radius: vg.Points(2.5), Shape: draw.CircleGlyph{}}
		p.Add(pts)
		c.add("memcpy in one process (the limit)", thumbLine(rgb(0), []vg.Length{vg.Points(2), vg.Points(3)}), pts)
		for _, q := range limit {
			extend(q.Y)
		}
	}
	for i, s := range all {
		sort.Slice(s.xy, func(a, b int) bool { return s.xy[a].X < s.xy[b].X })
		col, glyph, dashes := seriesStyle(i)
		for _, seg := range segments(s.xy, sizes) {
			seg.Color, seg.Dashes, seg.Width = col, dashes, vg.Points(1.5)
			p.Add(seg)
		}
		pts, _ := plotter.NewScatter(s.xy)
		pts.GlyphStyle = draw.GlyphStyle{Color: col, Radius: vg.Points(3.5), Shape: glyph}
		p.Add(pts)
		c.add(s.name, thumbLine(col, dashes), pts)
		for _, q := range s.xy {
			extend(q.Y)
		}
	}
	p.X.Min, p.X.Max = float64(sizes[0])/1.8, float64(sizes[len(sizes)-1])*1.8
	p.Y.Min, p.Y.Max = logRange(lo, hi)
	return c
}

// memcpyLimit is the fastest memcpy result at each size, from the same run.
func memcpyLimit(rep bench.Report) plotter.XYs {
	best := map[int]float64{}
	for _, r := range rep.Results {
		if r.Scenario == "memcpy" && !r.Failed && r.Size > 0 && r.BytesPerS > best[r.Size] {
			best[r.Size] = r.BytesPerS
		}
	}
	var out plotter.XYs
	for s, v := range best {
		out = append(out, plotter.XY{X: float64(s), Y: v})
	}
	sort.Slice(out, func(a, b int) bool { return out[a].X < out[b].X })
	return out
}

// segments returns the lines between the points of xy (sorted by X) that
// are neighbours in sizes: a series that skipped a size has no line over it.
func segments(xy plotter.XYs, sizes []int) []*plotter.Line {
	index := map[int]int{}
	for i, s := range sizes {
		index[s] = i
	}
	var out []*plotter.Line
	var run plotter.XYs
	flush := func() {
		if len(run) >= 2 {
			if l, err := plotter.NewLine(run); err == nil {
				out = append(out, l)
			}
		}
		run = nil
	}
	for i, q := range xy {
		if i > 0 && index[int(q.X)] != index[int(xy[i-1].X)]+1 {
			flush()
		}
		run = append(run, q)
	}
	flush()
	return out
}

// thumbLine is a legend's line sample.
func thumbLine(c interface{ RGBA() (r, g, b, a uint32) }, dashes []vg.Length) plot.Thumbnailer {
	l, _ := plotter.NewLine(plotter.XYs{{X: 0, Y: 0}, {X: 1, Y: 0}})
	l.Color, l.Dashes, l.Width = c, dashes, vg.Points(1.5)
	return l
}

// sizeTicks marks powers of two in bytes (64 B, 1 KiB…), every second
// one labelled when there are many.
type sizeTicks struct{}

func (sizeTicks) Ticks(min, max float64) []plot.Tick {
	var out []plot.Tick
	for v := 1.0; v <= max; v *= 4 {
		if v >= min {
			out = append(out, plot.Tick{Value: v, Label: bench.FormatSize(int(v))})
		}
	}
	if len(out) > 8 {
		for i := range out {
			if i%2 == 1 {
				out[i].Label = ""
			}
		}
	}
	return out
}
