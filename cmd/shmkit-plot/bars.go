package main

import (
	"image/color"
	"math"
	"slices"
	"strings"

	"github.com/shmkit/shmkit/bench"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/text"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// barChart draws a horizontal bar per result, in the report's order, top
// down: its ratio to the scenario's baseline where the results have one
// (a vertical line at 1×, the baseline's own bars grey), else its rate.
// Each bar's figure is written past its end, inside the frame. The scale
// is logarithmic when the bars span more than 30×.
func barChart(rep bench.Report, scenario string, rs []bench.Result) *chart {
	if len(rs) == 0 {
		return nil
	}
	s, _ := bench.Lookup(scenario)
	byRatio := true
	for _, r := range rs {
		if r.Ratio <= 0 {
			byRatio = false
		}
	}
	val := func(r bench.Result) float64 {
		if byRatio {
			return r.Ratio
		}
		return r.MsgsPerS
	}
	what := "operations per second"
	xlabel := "operations per second"
	if byRatio {
		what, xlabel = "bars: the ratio to the baseline (grey, 1×) from the same run; higher is better", "ratio to the baseline"
		if s != nil && s.RatioDoc != "" {
			xlabel = "ratio = " + s.RatioDoc
		} else if s != nil && len(s.Baselines) > 0 {
			xlabel = "ratio to the faster of " + joinOr(s.Baselines) + " (higher is better)"
		}
	}
	c := newChart(title(rep, scenario, what))
	c.legend = nil
	c.h = vg.Length(1.7+0.34*float64(len(rs))) * vg.Inch
	p := c.p
	p.X.Label.Text = wrap(xlabel, 110)

	lo, hi := math.Inf(1), 0.0
	for _, r := range rs {
		lo, hi = min(lo, val(r)), max(hi, val(r))
	}
	if byRatio {
		lo, hi = min(lo, 1), max(hi, 1)
	}
	logScale := hi/lo > 30
	bars := &hbars{}
	colors := map[string]color.Color{}
	names := make([]string, len(rs))
	var labels plotter.XYLabels
	for i, r := range rs {
		y := float64(len(rs) - 1 - i)
		names[len(rs)-1-i] = label(r) + "  " // room between a name and its bar
		col := baselineColor
		if !isBaseline(r, s) {
			if colors[r.Transport] == nil {
				colors[r.Transport] = palette[len(colors)%len(palette)]
			}
			col = colors[r.Transport]
		}
		bars.add(y, val(r), col)
		text := rateText(r)
		if byRatio {
			text = ratioLabel(r.Ratio) + "  (" + text + ")"
		}
		labels.XYs = append(labels.XYs, plotter.XY{X: val(r), Y: y})
		labels.Labels = append(labels.Labels, text)
	}
	if logScale {
		p.X.Scale = plot.LogScale{}
		p.X.Min, p.X.Max = niceBelow(lo/2), niceAbove(hi*1.5)
		p.X.Tick.Marker = logTicks{format: func(v float64) string {
			if byRatio {
				return ratioLabel(v)
			}
			return shortRate(v, "")
		}}
	} else {
		p.X.Min, p.X.Max = 0, hi*1.1
		if byRatio {
			p.X.Tick.Marker = linearRatioTicks{}
		}
	}
	bars.base = p.X.Min
	p.NominalY(names...)
	p.Y.Min, p.Y.Max = -0.6, float64(len(rs))-0.4
	p.Add(&plotter.Grid{Vertical: draw.LineStyle{Color: color.Gray{Y: 225}, Width: vg.Points(0.5)}})
	p.Add(bars)
	if byRatio {
		one, _ := plotter.NewLine(plotter.XYs{{X: 1, Y: p.Y.Min}, {X: 1, Y: p.Y.Max}})
		one.Color, one.Width, one.Dashes = rgb(0x333333), vg.Points(1), []vg.Length{vg.Points(4), vg.Points(3)}
		p.Add(one)
	}
	l, err := plotter.NewLabels(labels)
	if err == nil {
		l.Offset = vg.Point{X: vg.Points(5), Y: -vg.Points(4)}
		for i := range l.TextStyle {
			l.TextStyle[i].Font.Size = vg.Points(10)
			l.TextStyle[i].XAlign = text.XLeft
		}
		p.Add(l)
	}
	return c
}

// isBaseline reports whether r is the baseline of its scenario's ratios
// (its own, at 1×).
func isBaseline(r bench.Result, s *bench.Scenario) bool {
	if r.Ratio < 0.9999 || r.Ratio > 1.0001 {
		return false
	}
	if r.Baseline != "" {
		return r.Baseline == r.Transport
	}
	return s != nil && slices.Contains(s.Baselines, r.Transport)
}

// rateText writes a result's rate: "12.02 M ops/s", "53 ops/s", or
// "4.49 M msgs/s" for messages of a size.
func rateText(r bench.Result) string {
	things := " ops/s"
	if r.Size > 0 {
		things = " msgs/s"
	}
	return strings.TrimSpace(strings.TrimSuffix(bench.FormatRate(r.MsgsPerS, ""), "/s")) + things
}

// hbars is a plotter of horizontal bars from base (the axis's minimum, so
// that bars work on a log scale too).
type hbars struct {
	y, v   []float64
	colors []color.Color
	base   float64
}

func (h *hbars) add(y, v float64, c color.Color) {
	h.y, h.v, h.colors = append(h.y, y), append(h.v, v), append(h.colors, c)
}

func (h *hbars) Plot(c draw.Canvas, p *plot.Plot) {
	trX, trY := p.Transforms(&c)
	for i := range h.y {
		x0, x1 := trX(h.base), trX(h.v[i])
		y0, y1 := trY(h.y[i]-0.32), trY(h.y[i]+0.32)
		pts := []vg.Point{{X: x0, Y: y0}, {X: x1, Y: y0}, {X: x1, Y: y1}, {X: x0, Y: y1}}
		c.FillPolygon(h.colors[i], c.ClipPolygonXY(pts))
	}
}

func (h *hbars) DataRange() (xmin, xmax, ymin, ymax float64) {
	xmin, xmax = math.Inf(1), math.Inf(-1)
	for i := range h.y {
		xmin, xmax = min(xmin, h.v[i]), max(xmax, h.v[i])
	}
	return xmin, xmax, -0.5, float64(len(h.y)) - 0.5
}

// linearRatioTicks marks a linear ratio axis from 0 in steps of 0.25,
// 0.5, 1, 2 or 5 (the first that makes at most 8), labelled, with 1× among
// them always.
type linearRatioTicks struct{}

func (linearRatioTicks) Ticks(min, max float64) []plot.Tick {
	step := 5.0
	for _, s := range []float64{0.25, 0.5, 1, 2, 5} {
		if max/s <= 8 {
			step = s
			break
		}
	}
	var ts []plot.Tick
	one := false
	for i := 0; float64(i)*step <= max; i++ {
		v := float64(i) * step
		if v < min {
			continue
		}
		l := ratioLabel(v)
		if v == 0 {
			l = "0"
		}
		one = one || v == 1
		ts = append(ts, plot.Tick{Value: v, Label: l})
	}
	if !one && max >= 1 {
		ts = append(ts, plot.Tick{Value: 1, Label: "1×"})
	}
	return ts
}

func joinOr(names []string) string {
	switch len(names) {
	case 0:
		return ""
	case 1:
		return names[0]
	}
	s := names[0]
	for _, n := range names[1 : len(names)-1] {
		s += ", " + n
	}
	return s + " and " + names[len(names)-1]
}

// wrap breaks s into lines of at most n characters, at spaces.
func wrap(s string, n int) string {
	out, line := "", ""
	for _, w := range splitWords(s) {
		if line != "" && len(line)+1+len(w) > n {
			out += line + "\n"
			line = ""
		}
		if line != "" {
			line += " "
		}
		line += w
	}
	return out + line
}

func splitWords(s string) []string {
	var out []string
	word := ""
	for _, r := range s {
		if r == ' ' {
			if word != "" {
				out = append(out, word)
			}
			word = ""
			continue
		}
		word += string(r)
	}
	if word != "" {
		out = append(out, word)
	}
	return out
}
