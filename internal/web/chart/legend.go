package chart

import "html/template"

// Legend returns an HTML list naming the series, each after a small SVG
// swatch that carries the series' class, so the same stylesheet rules colour
// the legend and the chart. The swatches are hidden from screen readers (the
// names are read).
//
// Classes: the list is "chart-legend", each swatch "chart-swatch".
func Legend(series []Series) template.HTML {
	w := newSVG(32 + len(series)*220)
	w.raw(`<ul class="chart-legend">`)
	for _, s := range series {
		w.raw(`<li><svg xmlns="http://www.w3.org/2000/svg" class="chart-swatch" viewBox="0 0 10 10" width="10" height="10" aria-hidden="true"><rect`)
		w.class(s.Class)
		w.raw(` width="10" height="10" fill="currentColor"/></svg>`)
		w.text(s.Name)
		w.raw("</li>")
	}
	w.raw("</ul>")
	return w.html()
}
