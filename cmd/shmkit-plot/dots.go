package main

import (
	"fmt"
	"image/color"
	"sort"
	"strings"

	"github.com/shmkit/shmkit/bench"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// latencyChart draws each transport's round trip as a row, fastest (p50
// at the smallest size) at the top: a filled marker at p50 and an open
// one at p99, joined, one colour and a small vertical offset per message
// size; log scale. Names sit left of the rows, horizontal, in full.
func latencyChart(rep bench.Report, scenario string, rs []bench.Result) *chart {
	sizes := distinctSizes(rs)
	sort.Ints(sizes)
	type row struct {
		name string
		at   map[int]bench.Result
	}
	var rows []*row
	byName := map[string]*row{}
	for _, r := range rs {
		n := label(r)
		w := byName[n]
		if w == nil {
			w = &row{name: n, at: map[int]bench.Result{}}
			byName[n] = w
			rows = append(rows, w)
		}
		w.at[r.Size] = r
	}
	key := func(w *row) float64 {
		for _, s := range sizes {
			if r, ok := w.at[s]; ok {
				return r.P50Ns
			}
		}
		return 0
	}
	sort.SliceStable(rows, func(a, b int) bool { return key(rows[a]) < key(rows[b]) })

	c := newChart(title(rep, scenario, "round trip: p50 (filled) and p99 (open) per transport"))
	c.h = vg.Length(1.6+0.3*float64(len(rows)))*vg.Inch + vg.Length(len(sizes))*0.1*vg.Inch
	p := c.p
	p.X.Label.Text = "round trip (log scale); fastest at the top"
	p.X.Scale = plot.LogScale{}
	p.X.Tick.Marker = logTicks{format: shortNs}
	names := make([]string, len(rows))
	for i, w := range rows {
		names[len(rows)-1-i] = w.name + "  " // the first row at the top
	}
	p.NominalY(names...)
	p.Y.Tick.Label.Font.Size = vg.Points(10)
	p.Add(&plotter.Grid{Vertical: draw.LineStyle{Color: color.Gray{Y: 220}, Width: vg.Points(0.5)}})

	lo, hi := 0.0, 0.0
	for j, size := range sizes {
		col := palette[j%len(palette)]
		dy := (float64(j) - float64(len(sizes)-1)/2) * 0.22
		var p50, p99 plotter.XYs
		for i, w := range rows {
			r, ok := w.at[size]
			if !ok {
				continue
			}
			y := float64(len(rows)-1-i) + dy
			p50 = append(p50, plotter.XY{X: r.P50Ns, Y: y})
			if r.P99Ns > 0 {
				p99 = append(p99, plotter.XY{X: r.P99Ns, Y: y})
				if l, err := plotter.NewLine(plotter.XYs{{X: r.P50Ns, Y: y}, {X: r.P99Ns, Y: y}}); err == nil {
					l.Color, l.Width = col, vg.Points(1)
					p.Add(l)
				}
			}
			if lo == 0 || r.P50Ns < lo {
				lo = r.P50Ns
			}
			hi = max(hi, r.P50Ns, r.P99Ns)
		}
		s50, _ := plotter.NewScatter(p50)
		s50.GlyphStyle = draw.GlyphStyle{Color: col, Radius: vg.Points(4), Shape: draw.CircleGlyph{}}
		p.Add(s50)
		c.add(fmt.Sprintf("p50, %s", bench.FormatSize(size)), s50)
		if len(p99) > 0 {
			s99, _ := plotter.NewScatter(p99)
			s99.GlyphStyle = draw.GlyphStyle{Color: col, Radius: vg.Points(4), Shape: draw.RingGlyph{}}
			p.Add(s99)
			c.add(fmt.Sprintf("p99, %s", bench.FormatSize(size)), s99)
		}
	}
	p.X.Min, p.X.Max = logRange(lo, hi)
	p.Y.Min, p.Y.Max = -0.6, float64(len(rows))-0.4
	return c
}

// shortNs writes a duration in ns for a tick: "100 ns", "1 µs", "2.5 ms".
func shortNs(v float64) string { return trimZeros(bench.FormatNs(v)) }

// shortRate writes a rate for a tick: "1 GB/s", "200 MB/s".
func shortRate(v float64, unit string) string { return trimZeros(bench.FormatRate(v, unit)) }

// trimZeros drops a fraction of zeros: "1.00 µs" is "1 µs", "2.50 ms"
// "2.5 ms".
func trimZeros(s string) string {
	num, unit, ok := strings.Cut(s, " ")
	if !ok || !strings.Contains(num, ".") {
		return s
	}
	num = strings.TrimRight(strings.TrimRight(num, "0"), ".")
	return num + " " + unit
}
