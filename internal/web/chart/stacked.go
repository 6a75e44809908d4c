package chart

import (
	"html/template"
	"math"
	"time"
)

// Bucket is one bar of a StackedBars chart: a day, or a week for long ranges.
type Bucket struct {
	// Start is the bucket's first day; it labels the bar (as 2006-01-02)
	// when Label is empty.
	Start time.Time
	// Label names the bucket on the X axis and in the hover texts.
	Label string
	// Values holds one value per series, bottom to top. Missing values,
	// negative ones and ones that are not finite count as zero; values
	// beyond the series are ignored.
	Values []float64
}

// Series is one stacked series: its name, for the hover texts, and the CSS
// class that colours its segments (e.g. "s-ok").
type Series struct {
	Name  string
	Class string
}

// The default viewBox of a StackedBars chart.
const (
	StackedWidth  = 640
	StackedHeight = 200
)

// maxXLabels is the most X axis labels a chart shows.
const maxXLabels = 8

// StackedBars draws one bar per bucket, left to right in the order given, each
// stacked from its series' values (the first series at the bottom). The Y axis
// has 3 to 5 nice ticks (whole numbers when every value is whole), the X axis
// at most 8 labels, thinned so they never overlap and always including the
// last bucket. Every segment has a hover text "label · series: value".
// Without buckets or series the chart shows o.Empty instead.
//
// Classes: the <svg> has "chart chart-stacked"; segments carry their series'
// class (currentColor when the stylesheet has no rule for it); "chart-grid"
// (grid lines), "chart-ticks" (Y labels), "chart-axis" (the base line) and
// "chart-xlabels" (X labels) are drawn in currentColor.
func StackedBars(buckets []Bucket, series []Series, o Options) template.HTML {
	width, height := size(o.Width, StackedWidth), size(o.Height, StackedHeight)
	if len(buckets) == 0 || len(series) == 0 {
		return emptyChart("stacked", width, height, o)
	}
	n := len(buckets)
	labels := make([]string, n)
	highest, maxLabel, whole := 0.0, 0.0, true
	for i, b := range buckets {
		sum := 0.0
		for _, v := range b.Values[:min(len(b.Values), len(series))] {
			v = value(v)
			sum += v
			whole = whole && v == math.Trunc(v)
		}
		highest = max(highest, sum)
		labels[i] = bucketLabel(b)
		maxLabel = max(maxLabel, textWidth(labels[i]))
	}
	minStep := 0.0
	if whole {
		minStep = 1
	}
	ticks := niceTicks(highest, 5, minStep)
	top := ticks[len(ticks)-1]
	tickLabels := make([]string, len(ticks))
	maxTick := 0.0
	for i, t := range ticks {
		tickLabels[i] = FormatNumber(t)
		maxTick = max(maxTick, textWidth(tickLabels[i]))
	}

	// The plot area leaves room for the Y labels on the left and for half of
	// the widest X label at either end.
	left := max(maxTick+8, maxLabel/2)
	right := max(4, textWidth(labels[n-1])/2)
	const above, below = fontSize/2 + 2, fontSize + 8
	plotW := max(1, width-left-right)
	plotH := max(1, height-above-below)
	base := above + plotH
	slot := plotW / float64(n)
	barW := min(slot*0.8, 48)
	y := func(v float64) float64 { return round1(base - plotH*min(v, top)/top) }

	w := newSVG(1536 + n*len(series)*120)
	w.open("stacked", width, height, o, o.Desc, false)

	w.raw(`<g class="chart-grid" stroke="currentColor" stroke-opacity="0.15">`)
	for _, t := range ticks[1:] {
		w.raw("<line")
		w.attr("x1", left)
		w.attr("x2", left+plotW)
		w.attr("y1", y(t))
		w.attr("y2", y(t))
		w.raw("/>")
	}
	w.raw(`</g><g class="chart-ticks" fill="currentColor" text-anchor="end"`)
	w.attr("font-size", fontSize)
	w.raw(">")
	for i, t := range ticks {
		w.label("", left-6, y(t), "", tickLabels[i])
	}
	w.raw(`</g><g class="chart-bars" fill="currentColor">`)
	for i, b := range buckets {
		x := left + slot*float64(i) + (slot-barW)/2
		sum, bottom := 0.0, y(0)
		for j, v := range b.Values[:min(len(b.Values), len(series))] {
			if v = value(v); v == 0 {
				continue
			}
			sum += v
			topY := y(sum)
			w.raw("<rect")
			w.class(series[j].Class)
			w.attr("x", x)
			w.attr("y", topY)
			w.attr("width", barW)
			w.attr("height", bottom-topY)
			w.raw("><title>")
			w.text(labels[i])
			w.raw(" · ")
			w.text(series[j].Name)
			w.raw(": ")
			w.value(v)
			w.raw("</title></rect>")
			bottom = topY
		}
	}
	w.raw(`</g><line class="chart-axis" stroke="currentColor"`)
	w.attr("x1", left)
	w.attr("x2", left+plotW)
	w.attr("y1", base)
	w.attr("y2", base)
	w.raw(`/><g class="chart-xlabels" fill="currentColor" text-anchor="middle"`)
	w.attr("font-size", fontSize)
	w.raw(">")
	every := labelStep(n, slot, maxLabel+fontSize)
	for i := (n - 1) % every; i < n; i += every {
		w.label("", left+slot*(float64(i)+0.5), height-4-fontSize*0.35, "", labels[i])
	}
	w.raw("</g>")
	return w.close()
}

// labelStep is how many buckets apart the X labels are: far enough that
// labels need (room, label width and gap) never overlap, and no more than
// maxXLabels of them.
func labelStep(n int, slot, room float64) int {
	every := max(1, (n+maxXLabels-1)/maxXLabels)
	if slot > 0 {
		every = max(every, int(math.Ceil(room/slot)))
	}
	return every
}
