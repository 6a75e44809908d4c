// Package chart renders small, accessible SVG charts on the server, for
// embedding inline in the dashboard's pages.
//
// Every chart is returned as template.HTML: one <svg> element that is valid
// XML, with every caller-provided string escaped. The output is safe under a
// strict Content-Security-Policy: there are no style attributes, no <style>
// elements and no scripts. Colours are never hard-coded either: data marks
// carry the CSS class the caller chose (the page's stylesheet colours them,
// per theme), and axes, grid lines and text use currentColor. The charts scale
// by their viewBox; give them "width: 100%; height: auto" in CSS (the
// sparkline also carries its fixed width and height as attributes).
//
// The package has no language: titles, descriptions, the "no data" text and
// labels all come from the caller, already localized.
//
// Output is deterministic (the same input always gives the same bytes), and
// coordinates are rounded to one decimal to keep it small.
package chart

import (
	"html/template"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Options are the texts and size shared by every chart.
type Options struct {
	// Title is the chart's accessible name: the aria-label and the <title>.
	Title string
	// Desc is the longer description for screen readers (<desc>).
	Desc string
	// Empty is the text shown when there is nothing to draw, e.g. "No data".
	Empty string
	// Class is added to the <svg> element's classes ("chart chart-<kind>").
	Class string
	// Width and Height are the viewBox size in user units; zero (or
	// anything below 1) means the chart's default, and sizes above 100000
	// are taken as 100000.
	Width, Height float64
}

// fontSize is the font size of every text, in viewBox units.
const fontSize = 11

// charWidth estimates the advance of one narrow character at fontSize; a
// wide (CJK) character counts double.
const charWidth = fontSize * 0.6

// textWidth estimates the rendered width of s in viewBox units.
func textWidth(s string) float64 { return float64(Width(s)) * charWidth }

// svg builds one chart's markup.
type svg struct {
	sb  strings.Builder
	tmp [32]byte
}

// newSVG starts markup expected to be about size bytes long.
func newSVG(size int) *svg {
	w := &svg{}
	w.sb.Grow(size)
	return w
}

// raw appends markup.
func (w *svg) raw(s string) { w.sb.WriteString(s) }

// num appends v rounded to one decimal.
func (w *svg) num(v float64) { w.sb.Write(appendNum(w.tmp[:0], v)) }

// attr appends ` name="v"` with v rounded to one decimal.
func (w *svg) attr(name string, v float64) {
	w.sb.WriteByte(' ')
	w.sb.WriteString(name)
	w.sb.WriteString(`="`)
	w.num(v)
	w.sb.WriteByte('"')
}

// value appends a data value as formatValue does.
func (w *svg) value(v float64) {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		w.num(v)
		return
	}
	w.sb.WriteString(formatValue(v))
}

// text appends s escaped for both XML and HTML, in text and in attribute
// values. Invalid UTF-8 becomes U+FFFD, tabs and newlines become spaces, and
// other control characters (which XML does not allow or HTML reports as
// errors), U+FFFE and U+FFFF are dropped, so the chart always parses.
func (w *svg) text(s string) {
	plain := true
	for i := 0; i < len(s) && plain; i++ {
		c := s[i]
		plain = c >= 0x20 && c < 0x7f && c != '<' && c != '>' && c != '&' && c != '"' && c != '\''
	}
	if plain {
		w.sb.WriteString(s)
		return
	}
	for _, r := range s {
		switch r {
		case '<':
			w.sb.WriteString("&lt;")
		case '>':
			w.sb.WriteString("&gt;")
		case '&':
			w.sb.WriteString("&amp;")
		case '"':
			w.sb.WriteString("&#34;")
		case '\'':
			w.sb.WriteString("&#39;")
		case '\t', '\n', '\r':
			w.sb.WriteByte(' ')
		default:
			if r < 0x20 || (r >= 0x7f && r <= 0x9f) || r == 0xfffe || r == 0xffff {
				continue
			}
			w.sb.WriteRune(r)
		}
	}
}

// html returns the markup built.
func (w *svg) html() template.HTML {
	return template.HTML(w.sb.String()) // #nosec G203 -- built here, every caller string escaped by text
}

// class appends ` class="c"`, or nothing when c is empty.
func (w *svg) class(c string) {
	if c == "" {
		return
	}
	w.raw(` class="`)
	w.text(c)
	w.raw(`"`)
}

// title appends <title>s</title>, or nothing when s is empty.
func (w *svg) title(s string) {
	if s == "" {
		return
	}
	w.raw("<title>")
	w.text(s)
	w.raw("</title>")
}

// open starts the <svg> element of a chart of the kind, with its accessible
// name and description; fixed charts also carry their width and height.
func (w *svg) open(kind string, width, height float64, o Options, desc string, fixed bool) {
	w.raw(`<svg xmlns="http://www.w3.org/2000/svg" class="chart chart-`)
	w.raw(kind)
	if o.Class != "" {
		w.raw(" ")
		w.text(o.Class)
	}
	w.raw(`" viewBox="0 0 `)
	w.num(width)
	w.raw(" ")
	w.num(height)
	w.raw(`"`)
	if fixed {
		w.attr("width", width)
		w.attr("height", height)
	}
	w.raw(` role="img"`)
	if o.Title != "" {
		w.raw(` aria-label="`)
		w.text(o.Title)
		w.raw(`"`)
	}
	w.raw(">")
	w.title(o.Title)
	if desc != "" {
		w.raw("<desc>")
		w.text(desc)
		w.raw("</desc>")
	}
}

// close ends the <svg> element and returns the chart.
func (w *svg) close() template.HTML {
	w.raw("</svg>")
	return w.html()
}

// label appends a text element in currentColor, its baseline placed so the
// text is vertically centred on y.
func (w *svg) label(class string, x, y float64, anchor, s string) {
	w.raw("<text")
	w.class(class)
	w.attr("x", x)
	w.attr("y", y+fontSize*0.35)
	if anchor != "" {
		w.raw(` text-anchor="`)
		w.raw(anchor)
		w.raw(`"`)
	}
	w.raw(">")
	w.text(s)
	w.raw("</text>")
}

// emptyChart is the whole chart when there is no data: the caller's "no
// data" text, centred, also read out as the description.
func emptyChart(kind string, width, height float64, o Options) template.HTML {
	w := newSVG(512)
	w.open(kind, width, height, o, emptyDesc(o), false)
	w.raw(`<g class="chart-empty" fill="currentColor"`)
	w.attr("font-size", fontSize)
	w.raw(">")
	w.raw(`<line class="chart-axis" stroke="currentColor" stroke-opacity="0.3"`)
	w.attr("x1", 0)
	w.attr("x2", width)
	w.attr("y1", height-0.5)
	w.attr("y2", height-0.5)
	w.raw("/>")
	if o.Empty != "" {
		w.label("", width/2, height/2, "middle", o.Empty)
	}
	w.raw("</g>")
	return w.close()
}

// emptyDesc is the description of a chart without data: the caller's
// description followed by the "no data" text.
func emptyDesc(o Options) string {
	if o.Desc != "" && o.Empty != "" {
		return o.Desc + " " + o.Empty
	}
	return o.Desc + o.Empty
}

// maxSize is the largest viewBox size a chart takes.
const maxSize = 100000

// size returns v, at most maxSize, or def when v is below 1 or not a number.
func size(v, def float64) float64 {
	if !(v >= 1) {
		return min(def, maxSize)
	}
	return min(v, maxSize)
}

// value is v as a quantity to draw: negative and non-finite values count as zero.
func value(v float64) float64 {
	if !(v > 0) || math.IsInf(v, 0) {
		return 0
	}
	return v
}

// round1 rounds v to one decimal; it never returns negative zero.
func round1(v float64) float64 {
	r := math.Round(v*10) / 10
	if r == 0 {
		return 0
	}
	return r
}

// appendNum appends v rounded to one decimal in its shortest form ("12",
// "12.5", "-0.3"); never "-0". Sizes are bounded by maxSize, so the integer
// path is the one taken; the other keeps huge values correct.
func appendNum(b []byte, v float64) []byte {
	tenths := math.Round(v * 10)
	if !(math.Abs(tenths) < 1e17) {
		return strconv.AppendFloat(b, round1(v), 'f', -1, 64)
	}
	n := int64(tenths)
	if n < 0 {
		b = append(b, '-')
		n = -n
	}
	b = strconv.AppendInt(b, n/10, 10)
	if d := n % 10; d != 0 {
		b = append(b, '.', byte('0'+d))
	}
	return b
}

// formatValue formats a data value exactly enough for a hover text: whole
// numbers as integers, others with at most two decimals.
func formatValue(v float64) string {
	if v == math.Trunc(v) && math.Abs(v) < 1e15 {
		return strconv.FormatInt(int64(v), 10)
	}
	if math.Abs(v) >= 1e15 {
		return strconv.FormatFloat(v, 'g', 4, 64)
	}
	r := math.Round(v*100) / 100
	if r == 0 {
		r = 0
	}
	return strconv.FormatFloat(r, 'f', -1, 64)
}

// bucketLabel is the bucket's label, or its start date when it has none.
func bucketLabel(b Bucket) string {
	if b.Label != "" || b.Start.IsZero() {
		return b.Label
	}
	return b.Start.Format(time.DateOnly)
}

// NiceTicks returns the values for a value axis from 0 to at least maxValue:
// evenly spaced by a "nice" step (1, 2 or 5 × 10^k), at most n of them (n is
// taken as at least 3 and at most 100) and at least 3. The last tick is the
// top of the axis. A maxValue that is zero, negative or not a number gives the
// ticks for 1; values are kept within 1e-300 and 1e300.
func NiceTicks(maxValue float64, n int) []float64 { return niceTicks(maxValue, n, 0) }

// niceTicks is NiceTicks with a smallest step (1 for counts: no "0.5 rounds").
func niceTicks(top float64, n int, minStep float64) []float64 {
	n = min(100, max(3, n))
	if !(top > 0) {
		top = 1
	}
	top = math.Min(math.Max(top, 1e-300), 1e300)
	// Steps from a tenth of top/(n-1) upwards; one of top/(n-1) or more always fits.
	exp := int(math.Floor(math.Log10(top/float64(n-1)))) - 1
	var mant, count int
	var step float64
	for {
		for _, m := range [...]int{1, 2, 5} {
			step = stepValue(1, m, exp)
			if step < minStep {
				continue
			}
			// The tolerance keeps 0.3/0.1 = 3.0000000000000004 from adding a tick.
			if c := int(math.Ceil(top/step-1e-9)) + 1; c <= n {
				mant, count = m, c
				break
			}
		}
		if count > 0 {
			break
		}
		exp++
	}
	count = max(3, count)
	ticks := make([]float64, count)
	for i := range ticks {
		ticks[i] = stepValue(i, mant, exp)
	}
	return ticks
}

// stepValue is i·mant·10^exp, as close to the decimal value as a float64 gets
// (0.3, not 0.30000000000000004).
func stepValue(i, mant, exp int) float64 {
	if exp >= 0 {
		return float64(i*mant) * math.Pow10(exp)
	}
	return float64(i*mant) / math.Pow10(-exp)
}

// FormatNumber formats v compactly for an axis label: "0.25", "12", "999",
// "1.2k", "15k", "3M", "1.5G", "2T" (one decimal at most above 1, SI
// prefixes k, M, G, T, P, E), and exponent notation beyond.
func FormatNumber(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
	sign := ""
	if v < 0 {
		sign, v = "-", -v
	}
	if v == 0 {
		return "0"
	}
	if v < 1 {
		return sign + strconv.FormatFloat(v, 'g', 2, 64)
	}
	const prefixes = "kMGTPE"
	x, unit := round1(v), ""
	for i := 0; x >= 1000; i++ {
		if i == len(prefixes) {
			return sign + strconv.FormatFloat(v, 'g', 2, 64)
		}
		x, unit = round1(v/math.Pow10(3*(i+1))), prefixes[i:i+1]
	}
	return sign + strconv.FormatFloat(x, 'f', -1, 64) + unit
}

// Width returns the display width of s in columns: East Asian wide and
// fullwidth characters (Chinese, Japanese, Korean, most emoji) count 2,
// combining marks and zero-width characters 0, everything else 1.
func Width(s string) int {
	n := 0
	for _, r := range s {
		n += runeWidth(r)
	}
	return n
}

// Truncate shortens s to at most cols display columns (see Width), ending it
// with "…" when anything was cut. It never splits a character.
func Truncate(s string, cols int) string {
	if Width(s) <= cols {
		return s
	}
	if cols <= 0 {
		return ""
	}
	w := 0
	for i, r := range s {
		rw := runeWidth(r)
		if w+rw > cols-1 { // one column for the ellipsis
			return s[:i] + "…"
		}
		w += rw
	}
	return s
}

// wide are the East Asian wide and fullwidth ranges that matter here.
var wide = [...][2]rune{
	{0x1100, 0x115f}, {0x231a, 0x231b}, {0x2329, 0x232a}, {0x23e9, 0x23ec}, {0x23f0, 0x23f0},
	{0x23f3, 0x23f3}, {0x25fd, 0x25fe}, {0x2614, 0x2615}, {0x2648, 0x2653}, {0x267f, 0x267f},
	{0x2693, 0x2693}, {0x26a1, 0x26a1}, {0x26aa, 0x26ab}, {0x26bd, 0x26be}, {0x26c4, 0x26c5},
	{0x26ce, 0x26ce}, {0x26d4, 0x26d4}, {0x26ea, 0x26ea}, {0x26f2, 0x26f3}, {0x26f5, 0x26f5},
	{0x26fa, 0x26fa}, {0x26fd, 0x26fd}, {0x2705, 0x2705}, {0x270a, 0x270b}, {0x2728, 0x2728},
	{0x274c, 0x274c}, {0x274e, 0x274e}, {0x2753, 0x2755}, {0x2757, 0x2757}, {0x2795, 0x2797},
	{0x27b0, 0x27b0}, {0x27bf, 0x27bf}, {0x2b1b, 0x2b1c}, {0x2b50, 0x2b50}, {0x2b55, 0x2b55},
	{0x2e80, 0x303e}, {0x3041, 0x33ff}, {0x3400, 0x4dbf}, {0x4e00, 0x9fff}, {0xa000, 0xa4cf},
	{0xa960, 0xa97f}, {0xac00, 0xd7a3}, {0xf900, 0xfaff}, {0xfe10, 0xfe19}, {0xfe30, 0xfe6f},
	{0xff00, 0xff60}, {0xffe0, 0xffe6}, {0x16fe0, 0x16fe4}, {0x17000, 0x18cff}, {0x1b000, 0x1b2ff},
	{0x1f004, 0x1f004}, {0x1f0cf, 0x1f0cf}, {0x1f18e, 0x1f18e}, {0x1f191, 0x1f19a}, {0x1f200, 0x1f251},
	{0x1f300, 0x1f64f}, {0x1f680, 0x1f6ff}, {0x1f7e0, 0x1f7eb}, {0x1f90c, 0x1f9ff}, {0x1fa70, 0x1faff},
	{0x20000, 0x2fffd}, {0x30000, 0x3fffd},
}

// runeWidth is the display width of one character in columns.
func runeWidth(r rune) int {
	switch {
	case r < 0x300:
		return 1
	case r == 0x200b || r == 0x200c || r == 0x200d || r == 0x2060 || r == 0xfeff,
		r >= 0xfe00 && r <= 0xfe0f, // variation selectors
		unicode.Is(unicode.Mn, r), unicode.Is(unicode.Me, r):
		return 0
	}
	lo, hi := 0, len(wide)
	for lo < hi {
		m := (lo + hi) / 2
		switch {
		case r < wide[m][0]:
			hi = m
		case r > wide[m][1]:
			lo = m + 1
		default:
			return 2
		}
	}
	return 1
}
