package main

import (
	"bytes"
	"fmt"
	"image/color"
	"math"
	"os"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/font"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgsvg"
)

// The look of every chart: a sans-serif face, a qualitative palette whose
// colours stay apart (Tableau 10, its grey kept for baselines), a marker
// shape per series besides its colour (9 colours × 8 shapes: no two of the
// first 72 series look alike) and dashes after the first 9, so that lines
// are told apart in grey print and by colour-blind readers too; margins
// all round, and the legend beside the data, never over it.

func init() {
	// Before any plot.New: axes and legends take their face from it.
	plot.DefaultFont = font.Font{Typeface: "Liberation", Variant: "Sans"}
	plotter.DefaultFont = plot.DefaultFont // labels and other text drawn as data
}

var palette = []color.Color{
	rgb(0x4e79a7), // blue
	rgb(0xf28e2b), // orange
	rgb(0xe15759), // red
	rgb(0x76b7b2), // teal
	rgb(0x59a14f), // green
	rgb(0xb07aa1), // purple
	rgb(0xedc948), // yellow
	rgb(0x9c755f), // brown
	rgb(0xff9da7), // pink
}

// baselineColor marks the baseline a chart's ratios are taken against.
var baselineColor = rgb(0x8c8c8c)

var glyphs = []draw.GlyphDrawer{
	draw.CircleGlyph{}, draw.BoxGlyph{}, draw.TriangleGlyph{}, draw.RingGlyph{},
	draw.CrossGlyph{}, draw.SquareGlyph{}, draw.PyramidGlyph{}, draw.PlusGlyph{},
}

func rgb(v uint32) color.Color {
	return color.NRGBA{R: uint8(v >> 16), G: uint8(v >> 8), B: uint8(v), A: 255}
}

// seriesStyle is series i's colour, marker and dashes.
func seriesStyle(i int) (color.Color, draw.GlyphDrawer, []vg.Length) {
	var dashes []vg.Length
	if i >= len(palette) {
		dashes = []vg.Length{vg.Points(6), vg.Points(3)}
	}
	return palette[i%len(palette)], glyphs[i%len(glyphs)], dashes
}

// A chart is a plot and, beside it on the right, its legend.
type chart struct {
	p       *plot.Plot
	legend  *plot.Legend
	entries int
	w, h    vg.Length
}

// add puts an entry in the legend.
func (c *chart) add(name string, thumbs ...plot.Thumbnailer) {
	c.legend.Add(name, thumbs...)
	c.entries++
}

const margin = 14 // points of white round everything

func newChart(title string) *chart {
	p := plot.New()
	p.Title.Text = title
	p.Title.TextStyle.Font.Size = vg.Points(13)
	p.Title.Padding = vg.Points(10)
	p.X.Label.TextStyle.Font.Size = vg.Points(11)
	p.Y.Label.TextStyle.Font.Size = vg.Points(11)
	p.X.Tick.Label.Font.Size = vg.Points(10)
	p.Y.Tick.Label.Font.Size = vg.Points(10)
	p.X.Padding, p.Y.Padding = 0, 0
	l := plot.NewLegend()
	l.TextStyle.Font.Size = vg.Points(10)
	l.ThumbnailWidth = vg.Points(28)
	l.Padding = vg.Points(2)
	return &chart{p: p, legend: &l, w: 10 * vg.Inch, h: 6 * vg.Inch}
}

// save writes the chart as SVG to path: the title across the top, left
// aligned, then the plot, with the legend on its right.
func (c *chart) save(path string) error {
	cv := vgsvg.New(c.w, c.h)
	dc := draw.New(cv)
	dc.SetColor(color.White)
	dc.Fill(dc.Rectangle.Path())
	inner := draw.Crop(dc, margin, -margin, margin, -margin)
	if t := c.p.Title.Text; t != "" {
		sty := c.p.Title.TextStyle
		sty.XAlign, sty.YAlign = draw.XLeft, draw.YTop
		// With slack: a viewer without Liberation Sans or Arial draws a
		// wider face (DejaVu Sans: about 8% wider).
		t = fitLines(t, (inner.Max.X-inner.Min.X)*0.9, sty.Width)
		inner.FillText(sty, vg.Point{X: inner.Min.X, Y: inner.Max.Y}, t)
		inner = draw.Crop(inner, 0, 0, 0, -(sty.Height(t) + c.p.Title.Padding))
	}
	c.p.Title.Text = "" // drawn
	area := inner
	if c.entries > 0 {
		lr := c.legend.Rectangle(inner)
		em := c.legend.TextStyle.Rectangle("M").Max.X
		lw := lr.Max.X - lr.Min.X + 2*em
		area = draw.Crop(inner, 0, -(lw + margin), 0, 0)
		leg := draw.Crop(inner, inner.Max.X-inner.Min.X-lw, 0, 0, 0)
		c.legend.Top, c.legend.Left = true, true
		c.legend.Draw(leg)
	}
	c.p.Draw(area)
	var buf bytes.Buffer
	if _, err := cv.WriteTo(&buf); err != nil {
		return err
	}
	return os.WriteFile(path, fallbackFonts(buf.Bytes()), 0o644)
}

// fitLines breaks each line of s that is wider than w (as width measures
// it) at spaces.
func fitLines(s string, w vg.Length, width func(string) vg.Length) string {
	var out []string
	for _, line := range strings.Split(s, "\n") {
		cur := ""
		for _, word := range strings.Fields(line) {
			next := word
			if cur != "" {
				next = cur + " " + word
			}
			if cur != "" && width(next) > w {
				out = append(out, cur)
				next = word
			}
			cur = next
		}
		out = append(out, cur)
	}
	return strings.Join(out, "\n")
}

// fallbackFonts gives the SVG's font a fallback: Liberation Sans (whose
// widths the layout was measured with) is Arial's metric twin, and a
// viewer without either still draws a sans-serif face of about the same
// width, instead of its default serif one.
func fallbackFonts(svg []byte) []byte {
	s := strings.ReplaceAll(string(svg), "font-family:Liberation Sans;", "font-family:'Liberation Sans',Arial,Helvetica,sans-serif;")
	s = strings.ReplaceAll(s, `font-family:"Liberation Sans";`, `font-family:'Liberation Sans',Arial,Helvetica,sans-serif;`)
	return []byte(s)
}

// logRange returns the range of a log axis that holds lo..hi with room
// on both sides, so that no marker sits on the frame, widened to the
// nearest 1, 2 or 5 times a power of ten so that both ends have a tick.
func logRange(lo, hi float64) (float64, float64) {
	return niceBelow(lo / 1.3), niceAbove(hi * 1.3)
}

func niceBelow(v float64) float64 {
	d := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{5, 2, 1} {
		if d*m <= v {
			return d * m
		}
	}
	return d
}

func niceAbove(v float64) float64 {
	d := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 5, 10} {
		if d*m >= v {
			return d * m
		}
	}
	return d * 10
}

// decades returns the powers of ten from below min to above max.
func decades(min, max float64) []float64 {
	var out []float64
	for v := math.Pow(10, math.Floor(math.Log10(min))); v <= max*1.0001; v *= 10 {
		out = append(out, v)
	}
	return out
}

// logTicks marks the decades inside the axis and 2 and 5 times them,
// those labelled too when the axis spans less than 2.5 decades, and its
// two ends.
type logTicks struct{ format func(float64) string }

func (t logTicks) Ticks(min, max float64) []plot.Tick {
	var out []plot.Tick
	few := max/min < 300
	for _, d := range decades(min, max) {
		for _, m := range []float64{1, 2, 5} {
			v := d * m
			if v < min || v > max {
				continue
			}
			tk := plot.Tick{Value: v}
			if m == 1 || few || v <= min*1.0001 || v >= max*0.9999 {
				tk.Label = t.format(v)
			}
			out = append(out, tk)
		}
	}
	return out
}

// ratioLabel writes a ratio as the tables do: "0.25×", "4.1×", "64×".
func ratioLabel(v float64) string {
	switch {
	case v >= 10:
		return fmt.Sprintf("%.0f×", v)
	case v >= 1:
		return strings.TrimSuffix(strings.TrimRight(fmt.Sprintf("%.2f", v), "0"), ".") + "×"
	}
	return fmt.Sprintf("%.2g×", v)
}
