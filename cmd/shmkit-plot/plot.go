package main

import (
	"fmt"
	"image/color"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/shmkit/shmkit/bench"
	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/plotutil"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
)

// writePlots writes SVG charts of rep into dir (created if missing) and
// returns the files written:
//
//	stream-throughput.svg  bytes/s by message size, one line per transport
//	                       (memcpy's line is the physical limit); log-log
//	pingpong-latency.svg   p50 and p99 round trip by transport, per size;
//	                       log scale
func writePlots(dir string, rep bench.Report) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var files []string
	if p := throughputPlot(rep); p != nil {
		f := filepath.Join(dir, "stream-throughput.svg")
		if err := p.Save(9*vg.Inch, 6*vg.Inch, f); err != nil {
			return files, fmt.Errorf("writing %s: %w", f, err)
		}
		files = append(files, f)
	}
	if p := latencyPlot(rep); p != nil {
		f := filepath.Join(dir, "pingpong-latency.svg")
		if err := p.Save(9*vg.Inch, 6*vg.Inch, f); err != nil {
			return files, fmt.Errorf("writing %s: %w", f, err)
		}
		files = append(files, f)
	}
	return files, nil
}

func plotLabel(r bench.Result) string {
	l := r.Label()
	if r.Batch > 1 {
		l += fmt.Sprintf(" batch %d", r.Batch)
	}
	return l
}

func throughputPlot(rep bench.Report) *plot.Plot {
	lines := map[string]plotter.XYs{}
	var order []string
	for _, r := range rep.Results {
		if (r.Scenario != "stream" && r.Scenario != "memcpy") || r.Failed || r.BytesPerS <= 0 || r.Size <= 0 || r.Batch > 1 {
			continue
		}
		l := plotLabel(r)
		if r.Scenario == "memcpy" {
			if r.Mode != "" {
				continue
			}
			l = "memcpy (the limit)"
		}
		if _, ok := lines[l]; !ok {
			order = append(order, l)
		}
		lines[l] = append(lines[l], plotter.XY{X: float64(r.Size), Y: r.BytesPerS})
	}
	if len(lines) == 0 {
		return nil
	}
	p := plot.New()
	p.Title.Text = "one-way stream, unbatched, every byte checked (" + rep.Machine.CPU + ")"
	p.X.Label.Text = "message size"
	p.Y.Label.Text = "throughput"
	p.X.Scale, p.Y.Scale = plot.LogScale{}, plot.LogScale{}
	p.X.Tick.Marker = sizeTicks{}
	p.Y.Tick.Marker = rateTicks{unit: "B/s"}
	p.Legend.Top, p.Legend.Left = true, true
	p.Legend.TextStyle.Font.Size = vg.Points(9)
	p.Add(plotter.NewGrid())
	var vs []any
	for _, l := range order {
		xy := lines[l]
		sort.Slice(xy, func(i, j int) bool { return xy[i].X < xy[j].X })
		vs = append(vs, l, xy)
	}
	if err := plotutil.AddLinePoints(p, vs...); err != nil {
		return nil
	}
	return p
}

func latencyPlot(rep bench.Report) *plot.Plot {
	var names []string
	index := map[string]int{}
	type key struct {
		size int
		p99  bool
	}
	series := map[key]plotter.XYs{}
	var sizes []int
	for _, r := range rep.Results {
		if r.Scenario != "pingpong" || r.Failed || r.P50Ns <= 0 {
			continue
		}
		l := r.Label()
		if _, ok := index[l]; !ok {
			index[l] = len(names)
			names = append(names, l)
		}
		if _, ok := series[key{r.Size, false}]; !ok {
			sizes = append(sizes, r.Size)
		}
		x := float64(index[l])
		series[key{r.Size, false}] = append(series[key{r.Size, false}], plotter.XY{X: x, Y: r.P50Ns})
		series[key{r.Size, true}] = append(series[key{r.Size, true}], plotter.XY{X: x, Y: r.P99Ns})
	}
	if len(names) == 0 {
		return nil
	}
	p := plot.New()
	p.Title.Text = "ping-pong round trip by transport (" + rep.Machine.CPU + ")"
	p.Y.Label.Text = "round trip"
	p.Y.Scale = plot.LogScale{}
	p.Y.Tick.Marker = nsTicks{}
	p.NominalX(names...)
	p.X.Tick.Label.Rotation = 0.6
	p.X.Tick.Label.XAlign = draw.XRight
	p.Add(plotter.NewGrid())
	p.Legend.Top, p.Legend.Left = true, true
	p.Legend.YOffs = -vg.Points(12)
	for i, size := range sizes {
		for _, p99 := range []bool{false, true} {
			xy := series[key{size, p99}]
			for j := range xy {
				xy[j].X += (float64(i) - float64(len(sizes)-1)/2) * 0.2
			}
			sc, err := plotter.NewScatter(xy)
			if err != nil {
				continue
			}
			sc.GlyphStyle.Color = plotutil.Color(i)
			sc.GlyphStyle.Radius = vg.Points(4)
			sc.GlyphStyle.Shape = draw.CircleGlyph{}
			name := fmt.Sprintf("p50, %s", bench.FormatSize(size))
			if p99 {
				sc.GlyphStyle.Shape = draw.TriangleGlyph{}
				sc.GlyphStyle.Color = fade(plotutil.Color(i))
				name = fmt.Sprintf("p99, %s", bench.FormatSize(size))
			}
			p.Add(sc)
			p.Legend.Add(name, sc)
		}
	}
	return p
}

func fade(c color.Color) color.Color {
	r, g, b, _ := c.RGBA()
	return color.NRGBA{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8), 128}
}

// decades returns the powers of ten from below min to above max.
func decades(min, max float64) []float64 {
	var out []float64
	for v := math.Pow(10, math.Floor(math.Log10(min))); v <= max*1.0001; v *= 10 {
		out = append(out, v)
	}
	return out
}

// sizeTicks marks powers of two in bytes: 64 B, 1 KiB…
type sizeTicks struct{}

func (sizeTicks) Ticks(min, max float64) []plot.Tick {
	var out []plot.Tick
	for v := 1.0; v <= max*1.0001; v *= 4 {
		if v >= min/1.0001 {
			out = append(out, plot.Tick{Value: v, Label: bench.FormatSize(int(v))})
		}
	}
	return out
}

// rateTicks marks decades of a rate: 100 MB/s, 1 GB/s…
type rateTicks struct{ unit string }

func (t rateTicks) Ticks(min, max float64) []plot.Tick {
	var out []plot.Tick
	for _, v := range decades(min, max) {
		out = append(out, plot.Tick{Value: v, Label: strings.Replace(bench.FormatRate(v, t.unit[:1]), ".00", "", 1)})
	}
	return out
}

// nsTicks marks decades of a duration: 100 ns, 1 µs…
type nsTicks struct{}

func (nsTicks) Ticks(min, max float64) []plot.Tick {
	var out []plot.Tick
	for _, v := range decades(min, max) {
		out = append(out, plot.Tick{Value: v, Label: strings.Replace(bench.FormatNs(v), ".00", "", 1)})
	}
	return out
}
