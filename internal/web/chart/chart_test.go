package chart

import (
	"bytes"
	"encoding/xml"
	"errors"
	"html/template"
	"io"
	"math"
	"math/rand/v2"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

// node is a parsed SVG element.
type node struct {
	XMLName xml.Name
	Attrs   []xml.Attr `xml:",any,attr"`
	Nodes   []node     `xml:",any"`
	Text    string     `xml:",chardata"`
}

func (n node) attr(name string) (string, bool) {
	for _, a := range n.Attrs {
		if a.Name.Local == name {
			return a.Value, true
		}
	}
	return "", false
}

func (n node) num(t *testing.T, name string) float64 {
	t.Helper()
	s, ok := n.attr(name)
	if !ok {
		t.Fatalf("<%s> has no %s", n.XMLName.Local, name)
	}
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("<%s %s=%q>: %v", n.XMLName.Local, name, s, err)
	}
	return v
}

// all returns the descendants of n (n included) that match, in document order.
func (n node) all(match func(node) bool) []node {
	var out []node
	if match(n) {
		out = append(out, n)
	}
	for _, c := range n.Nodes {
		out = append(out, c.all(match)...)
	}
	return out
}

// child returns n's first child element called name.
func (n node) child(name string) (node, bool) {
	for _, c := range n.Nodes {
		if c.XMLName.Local == name {
			return c, true
		}
	}
	return node{}, false
}

func named(name string) func(node) bool {
	return func(n node) bool { return n.XMLName.Local == name }
}

func inGroup(root node, class, name string) []node {
	var out []node
	for _, g := range root.all(func(n node) bool { c, _ := n.attr("class"); return n.XMLName.Local == "g" && c == class }) {
		out = append(out, g.all(named(name))...)
	}
	return out
}

var (
	numberAttr = map[string]bool{"x": true, "y": true, "width": true, "height": true, "x1": true, "x2": true, "y1": true, "y2": true, "font-size": true}
	oneDecimal = regexp.MustCompile(`^-?[0-9]+(\.[0-9])?$`)
)

// parse checks that h is one well-formed <svg> element that a strict
// Content-Security-Policy accepts and that hard-codes no colour, and returns
// its tree.
func parse(t *testing.T, h template.HTML) node {
	t.Helper()
	d := xml.NewDecoder(strings.NewReader(string(h)))
	depth, roots := 0, 0
	for {
		tok, err := d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("not valid XML: %v\n%s", err, h)
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			if depth == 0 {
				roots++
			}
			depth++
			switch tok.Name.Local {
			case "style", "script", "foreignObject", "image", "a":
				t.Errorf("element <%s> in %s", tok.Name.Local, h)
			}
			for _, a := range tok.Attr {
				name := a.Name.Local
				switch {
				case name == "style", strings.HasPrefix(name, "on"), name == "href":
					t.Errorf("attribute %s=%q in %s", name, a.Value, h)
				case name == "fill" || name == "stroke":
					if a.Value != "currentColor" && a.Value != "none" {
						t.Errorf("hard-coded colour %s=%q", name, a.Value)
					}
				case numberAttr[name] && !oneDecimal.MatchString(a.Value):
					t.Errorf("%s=%q is not a number with one decimal at most", name, a.Value)
				}
			}
		case xml.EndElement:
			depth--
		case xml.CharData:
			if depth == 0 && len(bytes.TrimSpace(tok)) > 0 {
				t.Errorf("text outside the root: %q", tok)
			}
		}
	}
	if roots != 1 {
		t.Fatalf("%d root elements in %s", roots, h)
	}
	var root node
	if err := xml.Unmarshal([]byte(h), &root); err != nil {
		t.Fatal(err)
	}
	if root.XMLName.Local != "svg" {
		t.Fatalf("root is <%s>", root.XMLName.Local)
	}
	if v, _ := root.attr("viewBox"); !strings.HasPrefix(v, "0 0 ") {
		t.Errorf("viewBox %q", v)
	}
	if r, _ := root.attr("role"); r != "img" {
		t.Errorf("role %q", r)
	}
	return root
}

// accessible checks the chart's accessible name and description.
func accessible(t *testing.T, root node, title, desc string) {
	t.Helper()
	if l, _ := root.attr("aria-label"); l != title {
		t.Errorf("aria-label %q, want %q", l, title)
	}
	if tt, _ := root.child("title"); tt.Text != title {
		t.Errorf("<title> %q, want %q", tt.Text, title)
	}
	if d, _ := root.child("desc"); d.Text != desc {
		t.Errorf("<desc> %q, want %q", d.Text, desc)
	}
}

func texts(ns []node) []string {
	out := make([]string, len(ns))
	for i, n := range ns {
		out[i] = n.Text
	}
	return out
}

func near(a, b, tol float64) bool { return math.Abs(a-b) <= tol }

var (
	rounds = []Series{{"ok", "s-ok"}, {"degraded", "s-warn"}, {"needs owner", "s-fail"}}
	day0   = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
)

func days(values ...[]float64) []Bucket {
	bs := make([]Bucket, len(values))
	for i, v := range values {
		bs[i] = Bucket{Start: day0.AddDate(0, 0, i), Values: v}
	}
	return bs
}

func manyDays(n, series int) []Bucket {
	bs := make([]Bucket, n)
	for i := range bs {
		v := make([]float64, series)
		for j := range v {
			v[j] = float64((i*7 + j*3) % 11)
		}
		bs[i] = Bucket{Start: day0.AddDate(0, 0, i), Values: v}
	}
	return bs
}

func TestNiceTicks(t *testing.T) {
	for _, c := range []struct {
		max  float64
		n    int
		want []float64
	}{
		{0, 5, []float64{0, 0.5, 1}},
		{-3, 5, []float64{0, 0.5, 1}},
		{math.NaN(), 5, []float64{0, 0.5, 1}},
		{1, 5, []float64{0, 0.5, 1}},
		{10, 5, []float64{0, 5, 10}},
		{12, 5, []float64{0, 5, 10, 15}},
		{87, 5, []float64{0, 50, 100}},
		{0.3, 4, []float64{0, 0.1, 0.2, 0.3}},
		{0.07, 5, []float64{0, 0.02, 0.04, 0.06, 0.08}},
		{1234, 5, []float64{0, 500, 1000, 1500}},
		{1e9, 5, []float64{0, 5e8, 1e9}},
		{3e9, 5, []float64{0, 1e9, 2e9, 3e9}},
		{7, 10, []float64{0, 1, 2, 3, 4, 5, 6, 7}},
		{5, 3, []float64{0, 5, 10}}, // two would do; three at least
		{5, 0, []float64{0, 5, 10}}, // n below 3 counts as 3
		{math.Inf(1), 5, []float64{0, 1, 2}[:0]},
	} {
		got := NiceTicks(c.max, c.n)
		if len(c.want) == 0 { // only the invariants
			if len(got) < 3 || math.IsInf(got[len(got)-1], 0) {
				t.Errorf("NiceTicks(%g, %d) = %v", c.max, c.n, got)
			}
			continue
		}
		if !slices.Equal(got, c.want) {
			t.Errorf("NiceTicks(%g, %d) = %v, want %v", c.max, c.n, got, c.want)
		}
	}
	if got := niceTicks(0, 5, 1); !slices.Equal(got, []float64{0, 1, 2}) {
		t.Errorf("whole ticks for 0: %v", got)
	}
	if got := niceTicks(3, 5, 1); !slices.Equal(got, []float64{0, 1, 2, 3}) {
		t.Errorf("whole ticks for 3: %v", got)
	}
}

func TestNiceTicksInvariants(t *testing.T) {
	for n := 3; n <= 8; n++ {
		for v := 1e-7; v < 1e13; v *= 1.37 {
			ticks := NiceTicks(v, n)
			if len(ticks) < 3 || len(ticks) > n {
				t.Fatalf("NiceTicks(%g, %d): %d ticks %v", v, n, len(ticks), ticks)
			}
			if ticks[0] != 0 || ticks[len(ticks)-1] < v*(1-1e-9) {
				t.Fatalf("NiceTicks(%g, %d) = %v does not span 0..max", v, n, ticks)
			}
			step := ticks[1]
			e := math.Pow10(int(math.Floor(math.Log10(step) + 1e-9)))
			if m := math.Round(step / e); !near(step/e, m, 1e-9) || (m != 1 && m != 2 && m != 5) {
				t.Fatalf("NiceTicks(%g, %d): step %g is not 1, 2 or 5 × 10^k", v, n, step)
			}
			for i := range ticks {
				if !near(ticks[i], float64(i)*step, step*1e-9) {
					t.Fatalf("NiceTicks(%g, %d) = %v not evenly spaced", v, n, ticks)
				}
			}
		}
	}
}

func TestFormatNumber(t *testing.T) {
	for v, want := range map[float64]string{
		0: "0", 0.5: "0.5", 0.25: "0.25", 0.02: "0.02", 0.123: "0.12", 1: "1", 12: "12", 12.34: "12.3", 999: "999",
		999.96: "1k", 1000: "1k", 1200: "1.2k", 1250: "1.3k", 15000: "15k", 999_950: "1M", 3e6: "3M",
		1.5e9: "1.5G", 2e12: "2T", 5e15: "5P", 1e18: "1E", 1e21: "1e+21", -1500: "-1.5k", -0.5: "-0.5",
		math.Inf(1): "+Inf",
	} {
		if got := FormatNumber(v); got != want {
			t.Errorf("FormatNumber(%g) = %q, want %q", v, got, want)
		}
	}
}

func TestWidthAndTruncate(t *testing.T) {
	for _, c := range []struct {
		s     string
		width int
		cols  int
		want  string
	}{
		{"abc", 3, 3, "abc"},
		{"abcdef", 6, 4, "abc…"},
		{"abcdef", 6, 1, "…"},
		{"abcdef", 6, 0, ""},
		{"中文标签", 8, 8, "中文标签"},
		{"中文标签", 8, 5, "中文…"},
		{"中文标签", 8, 4, "中…"},
		{"中文标签", 8, 2, "…"},
		{"mail 邮件", 9, 7, "mail …"},
		{"e\u0301te\u0301", 3, 3, "e\u0301te\u0301"}, // combining accents take no column
		{"ｆｕｌｌ", 8, 5, "ｆｕ…"},
		{"한국어", 6, 5, "한국…"},
		{"\xff\xfeab", 4, 3, "\xff\xfe…"},
	} {
		if w := Width(c.s); w != c.width {
			t.Errorf("Width(%q) = %d, want %d", c.s, w, c.width)
		}
		got := Truncate(c.s, c.cols)
		if got != c.want {
			t.Errorf("Truncate(%q, %d) = %q, want %q", c.s, c.cols, got, c.want)
		}
		if Width(got) > max(c.cols, 0) {
			t.Errorf("Truncate(%q, %d) = %q is %d wide", c.s, c.cols, got, Width(got))
		}
		if utf8.ValidString(c.s) && !utf8.ValidString(got) {
			t.Errorf("Truncate(%q, %d) split a character: %q", c.s, c.cols, got)
		}
	}
}

// stacked is a parsed StackedBars chart.
type stacked struct {
	root     node
	segs     []node
	ticks    []string
	xlabels  []node
	base     float64 // the Y of the value 0
	perValue float64 // height units per unit of value
}

func parseStacked(t *testing.T, h template.HTML) stacked {
	t.Helper()
	c := stacked{root: parse(t, h)}
	c.segs = inGroup(c.root, "chart-bars", "rect")
	ticks := inGroup(c.root, "chart-ticks", "text")
	c.ticks = texts(ticks)
	c.xlabels = inGroup(c.root, "chart-xlabels", "text")
	axis := c.root.all(func(n node) bool { cl, _ := n.attr("class"); return cl == "chart-axis" })
	if len(axis) != 1 {
		t.Fatalf("%d axes", len(axis))
	}
	c.base = axis[0].num(t, "y1")
	grid := inGroup(c.root, "chart-grid", "line")
	if len(grid) != len(ticks)-1 {
		t.Fatalf("%d grid lines for %d ticks", len(grid), len(ticks))
	}
	top := grid[len(grid)-1].num(t, "y1")
	// The top tick's value, read back from its label.
	last := c.ticks[len(c.ticks)-1]
	v, err := parseCompact(last)
	if err != nil {
		t.Fatalf("tick %q: %v", last, err)
	}
	c.perValue = (c.base - top) / v
	return c
}

// parseCompact reads back a FormatNumber label.
func parseCompact(s string) (float64, error) {
	mult := 1.0
	if i := strings.IndexAny(s, "kMGTPE"); i >= 0 {
		mult = math.Pow10(3 * (strings.IndexByte("kMGTPE", s[i]) + 1))
		s = s[:i]
	}
	v, err := strconv.ParseFloat(s, 64)
	return v * mult, err
}

func TestStackedBars(t *testing.T) {
	opts := Options{Title: "Rounds per day", Desc: "ok, degraded and needs-owner rounds per day", Empty: "No data"}
	for _, c := range []struct {
		name    string
		buckets []Bucket
		series  []Series
		ticks   []string
		segs    int      // segments drawn
		titles  []string // the first segments' hover texts
		xlabels []string // nil: not checked
	}{
		{
			name:    "three days",
			buckets: days([]float64{3, 1, 0}, []float64{5, 0, 2}, []float64{0, 0, 1}),
			series:  rounds,
			ticks:   []string{"0", "2", "4", "6", "8"},
			segs:    5,
			titles:  []string{"2026-03-01 · ok: 3", "2026-03-01 · degraded: 1", "2026-03-02 · ok: 5", "2026-03-02 · needs owner: 2", "2026-03-03 · needs owner: 1"},
			xlabels: []string{"2026-03-01", "2026-03-02", "2026-03-03"},
		},
		{
			name:    "caller labels win over dates",
			buckets: []Bucket{{Start: day0, Label: "W10", Values: []float64{12}}, {Label: "W11", Values: []float64{4}}},
			series:  rounds[:1],
			ticks:   []string{"0", "5", "10", "15"},
			segs:    2,
			titles:  []string{"W10 · ok: 12", "W11 · ok: 4"},
			xlabels: []string{"W10", "W11"},
		},
		{
			name:    "single bucket",
			buckets: days([]float64{2, 2, 3}),
			series:  rounds,
			ticks:   []string{"0", "2", "4", "6", "8"},
			segs:    3,
			xlabels: []string{"2026-03-01"},
		},
		{
			name:    "all zero",
			buckets: days([]float64{0, 0, 0}, []float64{0, 0, 0}),
			series:  rounds,
			ticks:   []string{"0", "1", "2"},
			segs:    0,
			xlabels: []string{"2026-03-01", "2026-03-02"},
		},
		{
			name:    "huge values",
			buckets: days([]float64{1e9, 2e9}, []float64{5e8, 0}),
			series:  rounds[:2],
			ticks:   []string{"0", "1G", "2G", "3G"},
			segs:    3,
			titles:  []string{"2026-03-01 · ok: 1000000000"},
		},
		{
			name:    "fractions",
			buckets: days([]float64{0.25, 0.5}, []float64{0.125}),
			series:  rounds[:2],
			ticks:   []string{"0", "0.2", "0.4", "0.6", "0.8"},
			segs:    3,
			titles:  []string{"2026-03-01 · ok: 0.25", "2026-03-01 · degraded: 0.5", "2026-03-02 · ok: 0.13"},
		},
		{
			name:    "bad, missing and extra values",
			buckets: days([]float64{-4, math.NaN(), math.Inf(1)}, []float64{2}, []float64{1, 1, 1, 99}),
			series:  rounds,
			ticks:   []string{"0", "1", "2", "3"},
			segs:    4,
			titles:  []string{"2026-03-02 · ok: 2", "2026-03-03 · ok: 1"},
		},
	} {
		t.Run(c.name, func(t *testing.T) {
			h := StackedBars(c.buckets, c.series, opts)
			ch := parseStacked(t, h)
			accessible(t, ch.root, opts.Title, opts.Desc)
			if !slices.Equal(ch.ticks, c.ticks) {
				t.Errorf("ticks %v, want %v", ch.ticks, c.ticks)
			}
			if len(ch.segs) != c.segs {
				t.Fatalf("%d segments, want %d", len(ch.segs), c.segs)
			}
			var titles []string
			for _, s := range ch.segs {
				tt, _ := s.child("title")
				titles = append(titles, tt.Text)
			}
			if len(c.titles) > 0 && !slices.Equal(titles[:len(c.titles)], c.titles) {
				t.Errorf("titles %q, want %q", titles, c.titles)
			}
			if c.xlabels != nil && !slices.Equal(texts(ch.xlabels), c.xlabels) {
				t.Errorf("X labels %q, want %q", texts(ch.xlabels), c.xlabels)
			}
			checkStacks(t, ch, c.buckets, c.series)
		})
	}
}

// readBack is s as a parser reads it from the chart: invalid UTF-8 replaced,
// characters XML does not allow dropped, tabs and newlines made spaces.
func readBack(s string) string {
	var a struct {
		V string `xml:"v,attr"`
	}
	var w svg
	w.text(s)
	if err := xml.Unmarshal([]byte(`<a v="`+w.sb.String()+`"/>`), &a); err != nil {
		panic(err)
	}
	return a.V
}

// checkStacks checks every segment against the values: its class, a height
// proportional to its value, stacked on the previous one, one column per bucket.
func checkStacks(t *testing.T, ch stacked, buckets []Bucket, series []Series) {
	t.Helper()
	k := 0
	lastX := math.Inf(-1)
	for i, b := range buckets {
		bottom := ch.base
		x := math.NaN()
		for j, v := range b.Values {
			if j >= len(series) || !(v > 0) || math.IsInf(v, 0) {
				continue
			}
			s := ch.segs[k]
			k++
			if cl, _ := s.attr("class"); cl != readBack(series[j].Class) {
				t.Errorf("bucket %d segment %d: class %q, want %q", i, j, cl, series[j].Class)
			}
			y, hgt := s.num(t, "y"), s.num(t, "height")
			if !near(hgt, v*ch.perValue, 0.15) {
				t.Errorf("bucket %d segment %d: height %g for %g, want %g", i, j, hgt, v, v*ch.perValue)
			}
			if !near(y+hgt, bottom, 0.11) {
				t.Errorf("bucket %d segment %d: ends at %g, not on the segment below (%g)", i, j, y+hgt, bottom)
			}
			bottom = y
			if math.IsNaN(x) {
				x = s.num(t, "x")
				if x <= lastX {
					t.Errorf("bucket %d is not right of the one before", i)
				}
				lastX = x
			} else if s.num(t, "x") != x {
				t.Errorf("bucket %d: segments not in one column", i)
			}
		}
	}
	if k != len(ch.segs) {
		t.Errorf("%d segments, %d values", len(ch.segs), k)
	}
}

func TestStackedBarsLabelThinning(t *testing.T) {
	for _, c := range []struct {
		name   string
		n      int
		width  float64
		label  func(i int) string
		labels int // how many, 0: just check
	}{
		{"a week of dates", 7, 0, nil, 7},
		{"eight short labels", 8, 0, func(i int) string { return strconv.Itoa(i) }, 8},
		{"twelve short labels", 12, 0, func(i int) string { return strconv.Itoa(i) }, 6},
		{"90 days", 90, 0, nil, 0},
		{"90 days, narrow", 90, 300, nil, 0},
		{"30 days of Chinese labels", 30, 0, func(i int) string { return strconv.Itoa(i+1) + "月第" + strconv.Itoa(i) + "周" }, 0},
		{"200 buckets", 200, 0, func(i int) string { return "w" + strconv.Itoa(i) }, 0},
	} {
		t.Run(c.name, func(t *testing.T) {
			bs := manyDays(c.n, 2)
			if c.label != nil {
				for i := range bs {
					bs[i].Label = c.label(i)
				}
			}
			h := StackedBars(bs, rounds[:2], Options{Width: c.width})
			ch := parseStacked(t, h)
			checkStacks(t, ch, bs, rounds[:2])
			width := size(c.width, StackedWidth)
			ls := ch.xlabels
			if len(ls) == 0 || len(ls) > maxXLabels || (c.labels > 0 && len(ls) != c.labels) {
				t.Fatalf("%d labels: %q", len(ls), texts(ls))
			}
			if last := ls[len(ls)-1].Text; last != bucketLabel(bs[c.n-1]) {
				t.Errorf("the last bucket is not labelled: %q", last)
			}
			prevRight := math.Inf(-1)
			for _, l := range ls {
				x, half := l.num(t, "x"), textWidth(l.Text)/2
				if x-half < prevRight+fontSize*0.9 {
					t.Errorf("label %q at %g overlaps the one before (ends %g)", l.Text, x, prevRight)
				}
				if x-half < -0.1 || x+half > width+0.1 {
					t.Errorf("label %q at %g leaves the chart", l.Text, x)
				}
				prevRight = x + half
			}
		})
	}
}

func TestStackedBarsLayout(t *testing.T) {
	ch := parseStacked(t, StackedBars(days([]float64{1}), rounds, Options{Width: 400, Height: 120}))
	if v, _ := ch.root.attr("viewBox"); v != "0 0 400 120" {
		t.Errorf("viewBox %q", v)
	}
	if _, ok := ch.root.attr("width"); ok {
		t.Error("a scaling chart has a width attribute")
	}
	if w := ch.segs[0].num(t, "width"); w > 48 {
		t.Errorf("a single bar is %g wide", w)
	}
	ch = parseStacked(t, StackedBars(manyDays(90, 4), rounds, Options{Class: "wide"}))
	if c, _ := ch.root.attr("class"); c != "chart chart-stacked wide" {
		t.Errorf("class %q", c)
	}
	for _, s := range ch.segs {
		x, w := s.num(t, "x"), s.num(t, "width")
		if x < 0 || x+w > StackedWidth || w <= 0 {
			t.Fatalf("segment at %g, %g wide", x, w)
		}
	}
}

func TestEmptyCharts(t *testing.T) {
	opts := Options{Title: "Rounds", Desc: "Rounds per day.", Empty: "No rounds yet"}
	for name, h := range map[string]template.HTML{
		"no buckets": StackedBars(nil, rounds, opts),
		"no series":  StackedBars(days([]float64{1}), nil, opts),
		"no bars":    HBars(nil, 100, opts),
	} {
		root := parse(t, h)
		accessible(t, root, opts.Title, "Rounds per day. No rounds yet")
		if got := texts(root.all(named("text"))); !slices.Equal(got, []string{"No rounds yet"}) {
			t.Errorf("%s: texts %q", name, got)
		}
		if n := len(root.all(named("rect"))); n != 0 {
			t.Errorf("%s: %d rects", name, n)
		}
	}
	root := parse(t, StackedBars(nil, nil, Options{Empty: "无数据"}))
	accessible(t, root, "", "无数据")
	if _, ok := root.attr("aria-label"); ok {
		t.Error("aria-label without a title")
	}
}

func TestHBars(t *testing.T) {
	long := "Microsoft Graph calendar events and meeting rooms"
	zh := "日历事件与会议室以及更多的工作负载"
	bars := []Bar{
		{Label: "mail", Value: 100, Text: "100 % · 412 ms", Class: "s-ok"},
		{Label: long, Value: 50, Text: "50 %", Class: "s-warn"},
		{Label: zh, Value: 12.5, Class: "s-fail"},
		{Label: "too much", Value: 250, Class: "s-ok", Title: "custom"},
		{Label: "broken", Value: math.NaN(), Class: "s-skip"},
	}
	opts := Options{Title: "Success rate per workload", Desc: "Percent of activities that succeeded."}
	root := parse(t, HBars(bars, 100, opts))
	accessible(t, root, opts.Title, opts.Desc)
	if v, _ := root.attr("viewBox"); v != "0 0 480 110" {
		t.Errorf("viewBox %q", v)
	}
	rows := root.all(func(n node) bool { c, _ := n.attr("class"); return c == "chart-row" })
	if len(rows) != len(bars) {
		t.Fatalf("%d rows", len(rows))
	}
	prevY := math.Inf(-1)
	for i, r := range rows {
		b := bars[i]
		rects := r.all(named("rect"))
		if len(rects) != 2 {
			t.Fatalf("row %d: %d rects", i, len(rects))
		}
		track, bar := rects[0], rects[1]
		if c, _ := track.attr("class"); c != "chart-track" {
			t.Errorf("row %d: track class %q", i, c)
		}
		if c, _ := bar.attr("class"); c != b.Class {
			t.Errorf("row %d: class %q", i, c)
		}
		want := value(b.Value) / 100
		if want > 1 {
			want = 1
		}
		if got := bar.num(t, "width") / track.num(t, "width"); !near(got, want, 0.002) {
			t.Errorf("row %d: bar is %g of the track, want %g", i, got, want)
		}
		if y := bar.num(t, "y"); y <= prevY {
			t.Errorf("row %d is not below the one before", i)
		} else {
			prevY = y
		}
		label := r.all(func(n node) bool { c, _ := n.attr("class"); return c == "chart-label" })[0].Text
		if float64(Width(label))*charWidth > HBarsWidth*0.3 {
			t.Errorf("row %d: label %q too wide", i, label)
		}
		if label != b.Label && (!strings.HasSuffix(label, "…") || !strings.HasPrefix(b.Label, strings.TrimSuffix(label, "…"))) {
			t.Errorf("row %d: label %q for %q", i, label, b.Label)
		}
		title, _ := r.child("title")
		wantTitle := map[int]string{0: "mail · 100 % · 412 ms", 1: long + " · 50 %", 2: zh + ": 12.5", 3: "custom", 4: "broken: 0"}[i]
		if title.Text != wantTitle {
			t.Errorf("row %d: title %q, want %q", i, title.Text, wantTitle)
		}
		values := r.all(func(n node) bool { c, _ := n.attr("class"); return c == "chart-value" })
		if (b.Text != "") != (len(values) == 1) || (b.Text != "" && values[0].Text != b.Text) {
			t.Errorf("row %d: value texts %q", i, texts(values))
		}
	}
	labels := texts(root.all(func(n node) bool { c, _ := n.attr("class"); return c == "chart-label" }))
	if labels[1] == long || labels[2] == zh {
		t.Errorf("long labels not cut: %q", labels)
	}
	if Width(labels[2]) < Width(labels[1])-1 || utf8.RuneCountInString(labels[2]) >= utf8.RuneCountInString(labels[1]) {
		t.Errorf("Chinese labels do not count double: %q, %q", labels[1], labels[2])
	}

	// No max: the largest value fills the track; a set height is shared.
	root = parse(t, HBars([]Bar{{Label: "a", Value: 3}, {Label: "b", Value: 6}}, 0, Options{Height: 100, Width: 300}))
	rects := root.all(named("rect"))
	if rects[3].num(t, "width") != rects[2].num(t, "width") || !near(rects[1].num(t, "width")*2, rects[3].num(t, "width"), 0.11) {
		t.Errorf("scaled to the largest value: %v", rects)
	}
	if v, _ := root.attr("viewBox"); v != "0 0 300 100" {
		t.Errorf("viewBox %q", v)
	}
	// All zero, no labels at all.
	root = parse(t, HBars([]Bar{{Value: 0}, {Value: -1}}, 0, Options{}))
	for _, r := range root.all(named("rect")) {
		if c, _ := r.attr("class"); c != "chart-track" && r.num(t, "width") != 0 {
			t.Errorf("a zero bar is %g wide", r.num(t, "width"))
		}
	}
}

func TestSparkline(t *testing.T) {
	points := []Point{{"s-ok", "03-01 · ok"}, {"s-warn", "03-02 · degraded"}, {"s-fail", ""}, {"s-skip", "03-04 · skipped"}}
	opts := Options{Title: "Last 4 rounds"}
	root := parse(t, Sparkline(points, opts))
	accessible(t, root, opts.Title, "")
	if w, _ := root.attr("width"); w != "38" {
		t.Errorf("width %q", w)
	}
	if h, _ := root.attr("height"); h != "8" {
		t.Errorf("height %q", h)
	}
	if len(root.all(named("line"))) != 0 || len(root.all(named("text"))) != 0 {
		t.Error("a sparkline with axes or text")
	}
	checkSquares := func(root node, points []Point, width float64) {
		t.Helper()
		rects := root.all(named("rect"))
		if len(rects) != len(points) {
			t.Fatalf("%d squares for %d points", len(rects), len(points))
		}
		for i, r := range rects {
			if c, _ := r.attr("class"); c != points[i].Class {
				t.Errorf("square %d: class %q", i, c)
			}
			title, _ := r.child("title")
			if title.Text != points[i].Title {
				t.Errorf("square %d: title %q", i, title.Text)
			}
			if r.num(t, "width") != r.num(t, "height") {
				t.Errorf("square %d is not square", i)
			}
			if i > 0 && r.num(t, "x") <= rects[i-1].num(t, "x")+rects[i-1].num(t, "width") {
				t.Errorf("square %d overlaps", i)
			}
		}
		last := rects[len(rects)-1]
		if !near(last.num(t, "x")+last.num(t, "width"), width, 0.051) {
			t.Errorf("the newest square ends at %g, not at the right edge %g", last.num(t, "x")+last.num(t, "width"), width)
		}
	}
	checkSquares(root, points, 38)

	// A fixed width keeps the newest points that fit, right-aligned.
	var many []Point
	for i := range 30 {
		many = append(many, Point{Class: "s-ok", Title: strconv.Itoa(i)})
	}
	root = parse(t, Sparkline(many, Options{Width: 98}))
	checkSquares(root, many[20:], 98)
	root = parse(t, Sparkline(many[:3], Options{Width: 98}))
	checkSquares(root, many[:3], 98)
	root = parse(t, Sparkline(many[:7], Options{Height: 5, Width: 3*6.25 - 1.25}))
	checkSquares(root, many[4:7], 3*6.25-1.25)

	// Empty: a faint line of the same size, with the text as hover.
	root = parse(t, Sparkline(nil, Options{Title: "Last rounds", Empty: "never ran", Width: 98}))
	accessible(t, root, "Last rounds", "never ran")
	lines := root.all(named("line"))
	if len(lines) != 1 || len(root.all(named("rect"))) != 0 {
		t.Fatalf("empty sparkline: %+v", root)
	}
	if tt, _ := lines[0].child("title"); tt.Text != "never ran" {
		t.Errorf("empty hover %q", tt.Text)
	}
	if w, _ := root.attr("width"); w != "98" {
		t.Errorf("empty width %q", w)
	}
}

func TestLegend(t *testing.T) {
	h := Legend([]Series{{"ok", "s-ok"}, {`<b>"fail"</b>`, `s-fail" onclick="x`}})
	var list struct {
		Items []struct {
			Swatch struct {
				Rect struct {
					Class string `xml:"class,attr"`
				} `xml:"rect"`
			} `xml:"svg"`
			Text string `xml:",chardata"`
		} `xml:"li"`
	}
	if err := xml.Unmarshal([]byte(h), &list); err != nil {
		t.Fatal(err)
	}
	if len(list.Items) != 2 || list.Items[1].Text != `<b>"fail"</b>` || list.Items[1].Swatch.Rect.Class != `s-fail" onclick="x` {
		t.Errorf("legend %s", h)
	}
	if strings.Contains(string(h), "<b>") || strings.Contains(string(h), `" onclick`) {
		t.Errorf("unescaped legend %s", h)
	}
}

// TestEscaping puts markup, quotes, control characters and invalid UTF-8 in
// every string the caller gives, and reads each back as plain text.
func TestEscaping(t *testing.T) {
	evil := `<script>alert("x&'y")</script>`
	weird := "a\x00b\x1b\x7f\ufffe\xffc\td"
	weirdWant := "ab\ufffdc d"
	o := Options{Title: evil, Desc: evil + weird, Empty: evil, Class: `x" onload="alert(1)`}
	series := []Series{{Name: evil, Class: `s-ok"><script>`}, {Name: weird, Class: "s-fail"}}
	charts := map[string]template.HTML{
		"stacked": StackedBars([]Bucket{{Label: evil, Values: []float64{1, 2}}, {Label: weird, Values: []float64{3}}}, series, o),
		"empty":   StackedBars(nil, series, o),
		"hbars":   HBars([]Bar{{Label: evil, Value: 1, Text: evil, Class: evil}, {Label: weird, Text: weird, Title: evil}}, 2, o),
		"spark":   Sparkline([]Point{{Class: evil, Title: evil}, {Class: weird, Title: weird}}, o),
		"nospark": Sparkline(nil, o),
	}
	for name, h := range charts {
		s := string(h)
		if strings.Contains(s, "<script") || strings.Contains(s, `" onload`) || strings.Contains(s, `"><`+"script") {
			t.Errorf("%s: unescaped markup in %s", name, s)
		}
		root := parse(t, h)
		if l, _ := root.attr("aria-label"); l != evil {
			t.Errorf("%s: aria-label %q", name, l)
		}
		if c, _ := root.attr("class"); !strings.HasSuffix(c, o.Class) {
			t.Errorf("%s: class %q", name, c)
		}
		var all []string
		for _, n := range root.all(func(node) bool { return true }) {
			all = append(all, n.Text)
			for _, a := range n.Attrs {
				all = append(all, a.Value)
			}
		}
		joined := strings.Join(all, "\n")
		for _, want := range []string{evil, weirdWant} {
			if name == "empty" && want == weirdWant {
				continue
			}
			if !strings.Contains(joined, want) {
				t.Errorf("%s: %q not read back from %s", name, want, s)
			}
		}
	}
}

func TestDeterministic(t *testing.T) {
	bs := manyDays(90, 4)
	a := StackedBars(bs, append(rounds, Series{"skipped", "s-skip"}), Options{Title: "t"})
	for range 3 {
		if b := StackedBars(bs, append(rounds, Series{"skipped", "s-skip"}), Options{Title: "t"}); a != b {
			t.Fatal("two renderings differ")
		}
	}
	if len(a) > 64<<10 {
		t.Errorf("a 90-day chart is %d bytes", len(a))
	}
}

// TestRandomInputs draws charts from random data and strings: every one
// parses and passes the CSP and colour checks.
func TestRandomInputs(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	str := func() string {
		b := make([]byte, r.IntN(20))
		for i := range b {
			b[i] = byte(r.IntN(256))
		}
		if r.IntN(2) == 0 {
			return "日志" + string(b)
		}
		return string(b)
	}
	num := func() float64 {
		switch r.IntN(6) {
		case 0:
			return 0
		case 1:
			return -r.Float64() * 10
		case 2:
			return r.Float64() * math.Pow10(r.IntN(30))
		default:
			return float64(r.IntN(40))
		}
	}
	for range 200 {
		series := make([]Series, 1+r.IntN(5))
		for i := range series {
			series[i] = Series{Name: str(), Class: str()}
		}
		buckets := make([]Bucket, r.IntN(120))
		for i := range buckets {
			v := make([]float64, r.IntN(7))
			for j := range v {
				v[j] = num()
			}
			buckets[i] = Bucket{Start: day0.AddDate(0, 0, i), Label: str(), Values: v}
		}
		o := Options{Title: str(), Desc: str(), Empty: str(), Class: str(), Width: num(), Height: num()}
		if len(buckets) > 0 {
			ch := parseStacked(t, StackedBars(buckets, series, Options{Title: o.Title, Width: float64(200 + r.IntN(800))}))
			if len(ch.xlabels) > maxXLabels {
				t.Fatalf("%d X labels", len(ch.xlabels))
			}
			checkStacks(t, ch, buckets, series)
		}
		parse(t, StackedBars(buckets, series, o))
		bars := make([]Bar, r.IntN(10))
		for i := range bars {
			bars[i] = Bar{Label: str(), Value: num(), Text: str(), Class: str(), Title: str()}
		}
		parse(t, HBars(bars, num(), o))
		points := make([]Point, r.IntN(40))
		for i := range points {
			points[i] = Point{Class: str(), Title: str()}
		}
		parse(t, Sparkline(points, o))
	}
}

func BenchmarkStackedBars90x4(b *testing.B) {
	bs := manyDays(90, 4)
	series := append(slices.Clone(rounds), Series{"skipped", "s-skip"})
	o := Options{Title: "Activities per day", Desc: "ok, failed and skipped activities over the last 90 days"}
	b.ReportAllocs()
	for b.Loop() {
		_ = StackedBars(bs, series, o)
	}
}

func BenchmarkHBars(b *testing.B) {
	bars := make([]Bar, 12)
	for i := range bars {
		bars[i] = Bar{Label: "workload " + strconv.Itoa(i), Value: float64(i * 8), Text: strconv.Itoa(i*8) + " % · 412 ms", Class: "s-ok"}
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = HBars(bars, 100, Options{Title: "Success rate"})
	}
}

func BenchmarkSparkline(b *testing.B) {
	points := make([]Point, 20)
	for i := range points {
		points[i] = Point{Class: "s-ok", Title: "2026-03-02 09:00 · ok"}
	}
	b.ReportAllocs()
	for b.Loop() {
		_ = Sparkline(points, Options{Title: "Last 20 rounds"})
	}
}
