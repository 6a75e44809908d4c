package chart

import "html/template"

// Bar is one row of an HBars chart.
type Bar struct {
	// Label names the row on the left; labels too long for the label
	// column (at most 30 % of the width) are cut with "…".
	Label string
	// Value is the bar's length, from 0 to the chart's max (clamped).
	Value float64
	// Text is the secondary label right of the bar, e.g. "97 % · 412 ms".
	Text string
	// Class colours the bar, e.g. "s-ok" or "s-fail" by a threshold.
	Class string
	// Title is the row's hover text; empty means "Label · Text", or
	// "Label: Value" without a Text.
	Title string
}

// The default width of an HBars chart and the height of one of its rows.
const (
	HBarsWidth = 480
	HBarsRow   = 22
)

// HBars draws one horizontal bar per item, top to bottom in the order given,
// each scaled against maxValue (e.g. 100 for rates in percent; zero or less
// means the largest value). The height is HBarsRow per item unless o.Height is
// set, which the rows then share. Without items the chart shows o.Empty.
//
// Classes: the <svg> has "chart chart-hbars"; each row is a "chart-row"
// group holding a "chart-label", a "chart-track" (the full-length
// background, currentColor at low opacity), the bar with its item's class and
// a "chart-value" text.
func HBars(bars []Bar, maxValue float64, o Options) template.HTML {
	width := size(o.Width, HBarsWidth)
	if len(bars) == 0 {
		return emptyChart("hbars", width, size(o.Height, 2*HBarsRow), o)
	}
	height := size(o.Height, float64(len(bars)*HBarsRow))
	row := height / float64(len(bars))
	if !(maxValue > 0) || value(maxValue) == 0 {
		maxValue = 0
		for _, b := range bars {
			maxValue = max(maxValue, value(b.Value))
		}
		if maxValue == 0 {
			maxValue = 1
		}
	}

	// Column widths in characters: as wide as the widest text, up to 30 %
	// of the width for labels and 25 % for the secondary texts.
	labelCols, textCols := 0, 0
	for _, b := range bars {
		labelCols = max(labelCols, Width(b.Label))
		textCols = max(textCols, Width(b.Text))
	}
	labelCols = min(labelCols, int(width*0.3/charWidth))
	textCols = min(textCols, int(width*0.25/charWidth))
	labelCol, textCol := float64(labelCols)*charWidth, float64(textCols)*charWidth
	barX := 0.0
	if labelCol > 0 {
		barX = labelCol + 8
	}
	barMax := width - barX
	if textCol > 0 {
		barMax -= textCol + 8
	}
	barMax = max(1, barMax)
	barH := min(row*0.6, 16)

	w := newSVG(512 + len(bars)*400)
	w.open("hbars", width, height, o, o.Desc, false)
	w.raw(`<g fill="currentColor"`)
	w.attr("font-size", fontSize)
	w.raw(">")
	for i, b := range bars {
		mid := row * (float64(i) + 0.5)
		w.raw(`<g class="chart-row">`)
		title := b.Title
		if title == "" {
			title = b.Label + ": " + formatValue(value(b.Value))
			if b.Text != "" {
				title = b.Label + " · " + b.Text
			}
		}
		w.title(title)
		if b.Label != "" {
			w.label("chart-label", 0, mid, "", Truncate(b.Label, labelCols))
		}
		w.raw(`<rect class="chart-track" fill-opacity="0.08"`)
		w.attr("x", barX)
		w.attr("y", mid-barH/2)
		w.attr("width", barMax)
		w.attr("height", barH)
		w.raw("/><rect")
		w.class(b.Class)
		w.attr("x", barX)
		w.attr("y", mid-barH/2)
		w.attr("width", barMax*min(value(b.Value), maxValue)/maxValue)
		w.attr("height", barH)
		w.raw("/>")
		if b.Text != "" {
			w.label("chart-value", barX+barMax+8, mid, "", Truncate(b.Text, textCols))
		}
		w.raw("</g>")
	}
	w.raw("</g>")
	return w.close()
}
