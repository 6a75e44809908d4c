package chart

import (
	"html/template"
	"math"
)

// Point is one outcome in a Sparkline.
type Point struct {
	// Class colours the square, e.g. "s-ok", "s-warn", "s-fail" or "s-skip".
	Class string
	// Title is the square's hover text, e.g. "2026-03-02 09:00 · ok".
	Title string
}

// SparkCell is the default side of a Sparkline square; the gap between
// squares is a quarter of the side.
const SparkCell = 8

// sparkEmptyCells is how many squares wide an empty Sparkline is by default.
const sparkEmptyCells = 10

// Sparkline draws one small square per point, the first (oldest) on the left,
// with no axes and no text. Its size is fixed, and set as width and height
// attributes too: o.Height is the side of a square (default SparkCell); a zero
// o.Width makes the chart as wide as its points need, any other width holds
// as many squares as fit, right-aligned, dropping the oldest points when
// there are more (so that a table's sparklines line up). Without points it
// is a faint line whose hover text is o.Empty.
//
// Classes: the <svg> has "chart chart-spark"; squares carry their point's
// class; the empty line is "chart-empty".
func Sparkline(points []Point, o Options) template.HTML {
	cell := size(o.Height, SparkCell)
	gap := cell / 4
	cells := max(len(points), 1)
	if len(points) == 0 {
		cells = sparkEmptyCells
	}
	width := size(o.Width, float64(cells)*(cell+gap)-gap)
	if slots := math.Floor((width+gap)/(cell+gap) + 1e-9); float64(len(points)) > slots {
		points = points[len(points)-int(slots):]
	}

	w := newSVG(320 + len(points)*130)
	desc := o.Desc
	if len(points) == 0 {
		desc = emptyDesc(o)
	}
	w.open("spark", width, cell, o, desc, true)
	if len(points) == 0 {
		w.raw(`<line class="chart-empty" stroke="currentColor" stroke-opacity="0.3"`)
		w.attr("x1", 0)
		w.attr("x2", width)
		w.attr("y1", cell/2)
		w.attr("y2", cell/2)
		w.raw(">")
		w.title(o.Empty)
		w.raw("</line>")
		return w.close()
	}
	w.raw(`<g fill="currentColor">`)
	for i, p := range points {
		w.raw("<rect")
		w.class(p.Class)
		w.attr("x", width-float64(len(points)-i)*(cell+gap)+gap)
		w.raw(` y="0"`)
		w.attr("width", cell)
		w.attr("height", cell)
		if p.Title == "" {
			w.raw("/>")
			continue
		}
		w.raw(">")
		w.title(p.Title)
		w.raw("</rect>")
	}
	w.raw("</g>")
	return w.close()
}
