package reports

import (
	"fmt"
	"html/template"
	"math"
	"strings"
)

// Plots are drawn as inline SVG, so a report is one file that needs nothing
// from the network.

// series is one line of a chart.
type series struct {
	name   string
	color  string
	points []point
	dashed bool
}

type point struct{ x, y float64 }

// axis formats tick labels.
type axis struct {
	label string
	log   bool // logarithmic
	// format writes a value of the axis.
	format func(float64) string
}

// chart is a line chart.
type chart struct {
	title  string
	x, y   axis
	lines  []series
	marks  []mark // vertical or horizontal lines with a label
	width  float64
	height float64
}

// mark is a labelled line across the chart, like an SLO or a knee.
type mark struct {
	vertical bool
	at       float64
	label    string
	color    string
}

const (
	padLeft   = 64.0
	padRight  = 16.0
	padTop    = 28.0
	padBottom = 40.0
)

var palette = []string{"#1f77b4", "#d62728", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b", "#e377c2", "#17becf"}

// svg draws the chart.
func (c chart) svg() template.HTML {
	if c.width == 0 {
		c.width, c.height = 720, 260
	}
	var xs, ys []float64
	for _, s := range c.lines {
		for _, p := range s.points {
			xs = append(xs, p.x)
			ys = append(ys, p.y)
		}
	}
	for _, m := range c.marks {
		if m.vertical {
			xs = append(xs, m.at)
		} else {
			ys = append(ys, m.at)
		}
	}
	x0, x1 := bounds(xs, c.x.log)
	y0, y1 := bounds(ys, c.y.log)
	if !c.y.log {
		y0 = math.Min(0, y0)
	}
	pw, ph := c.width-padLeft-padRight, c.height-padTop-padBottom
	sx := scale(x0, x1, padLeft, padLeft+pw, c.x.log)
	sy := scale(y0, y1, padTop+ph, padTop, c.y.log)

	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %.0f %.0f" width="%.0f" height="%.0f" role="img" aria-label="%s">`,
		c.width, c.height, c.width, c.height, esc(c.title))
	fmt.Fprintf(&b, `<text x="%.0f" y="18" class="t">%s</text>`, padLeft, esc(c.title))
	// Grid and ticks.
	for _, v := range ticks(y0, y1, c.y.log) {
		y := sy(v)
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" class="g"/>`, padLeft, padLeft+pw, y, y)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" class="yl">%s</text>`, padLeft-6, y+4, esc(c.y.format(v)))
	}
	for _, v := range ticks(x0, x1, c.x.log) {
		x := sx(v)
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" class="g"/>`, x, x, padTop, padTop+ph)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" class="xl">%s</text>`, x, padTop+ph+16, esc(c.x.format(v)))
	}
	fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" class="f"/>`, padLeft, padTop, pw, ph)
	fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" class="xl">%s</text>`, padLeft+pw/2, c.height-4, esc(c.x.label))
	fmt.Fprintf(&b, `<text transform="translate(12 %.1f) rotate(-90)" class="xl">%s</text>`, padTop+ph/2, esc(c.y.label))
	var legendX, legendY float64
	for i, s := range c.lines {
		color := s.color
		if color == "" {
			color = palette[i%len(palette)]
		}
		if len(s.points) == 0 {
			continue
		}
		var d strings.Builder
		for j, p := range s.points {
			cmd := "L"
			if j == 0 {
				cmd = "M"
			}
			fmt.Fprintf(&d, "%s%.1f %.1f", cmd, sx(p.x), sy(p.y))
		}
		dash := ""
		if s.dashed {
			dash = ` stroke-dasharray="5 4"`
		}
		fmt.Fprintf(&b, `<path d="%s" stroke="%s" fill="none" stroke-width="1.6"%s><title>%s</title></path>`, d.String(), color, dash, esc(s.name))
		// Legend, in rows across the top of the plot.
		w := 34 + 6.5*float64(len([]rune(s.name)))
		if legendX+w > pw && legendX > 0 {
			legendX, legendY = 0, legendY+14
		}
		lx, ly := padLeft+8+legendX, padTop+10+legendY
		legendX += w
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="%s" stroke-width="3"%s/>`, lx, lx+16, ly, ly, color, dash)
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" class="lg">%s</text>`, lx+20, ly+4, esc(s.name))
	}
	for _, m := range c.marks {
		color := m.color
		if color == "" {
			color = "#555"
		}
		if m.vertical {
			x := sx(m.at)
			fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="%s" stroke-dasharray="3 3"/>`, x, x, padTop, padTop+ph, color)
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" class="mk" fill="%s">%s</text>`, x+4, padTop+ph-6, color, esc(m.label))
		} else {
			y := sy(m.at)
			fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%.1f" y2="%.1f" stroke="%s" stroke-dasharray="3 3"/>`, padLeft, padLeft+pw, y, y, color)
			fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" class="mk" fill="%s">%s</text>`, padLeft+pw-4, y-4, color, esc(m.label))
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) // built from escaped parts only
}

func esc(s string) string { return template.HTMLEscapeString(s) }

func bounds(vs []float64, log bool) (float64, float64) {
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, v := range vs {
		if log && v <= 0 {
			continue
		}
		lo, hi = math.Min(lo, v), math.Max(hi, v)
	}
	if math.IsInf(lo, 1) {
		if log {
			return 1, 10
		}
		return 0, 1
	}
	if hi == lo {
		if log {
			return lo / 2, hi * 2
		}
		return math.Min(lo, 0), hi + 1
	}
	return lo, hi
}

func scale(d0, d1, r0, r1 float64, log bool) func(float64) float64 {
	if log {
		l0, l1 := math.Log10(d0), math.Log10(d1)
		return func(v float64) float64 {
			if v <= 0 {
				v = d0
			}
			return r0 + (math.Log10(v)-l0)/(l1-l0)*(r1-r0)
		}
	}
	return func(v float64) float64 { return r0 + (v-d0)/(d1-d0)*(r1-r0) }
}

// ticks returns about five round values across [lo, hi].
func ticks(lo, hi float64, log bool) []float64 {
	var out []float64
	if log {
		for e := math.Floor(math.Log10(lo)); e <= math.Ceil(math.Log10(hi)); e++ {
			if v := math.Pow(10, e); v >= lo*0.999 && v <= hi*1.001 {
				out = append(out, v)
			}
		}
		if len(out) >= 2 {
			return out
		}
		return []float64{lo, hi}
	}
	step := math.Pow(10, math.Floor(math.Log10((hi-lo)/5)))
	for _, m := range []float64{1, 2, 5, 10} {
		if (hi-lo)/(step*m) <= 6 {
			step *= m
			break
		}
	}
	for v := math.Ceil(lo/step) * step; v <= hi+step*1e-9; v += step {
		out = append(out, v)
	}
	return out
}

// downsample keeps at most n points, each the largest y of its stretch, so a
// long run's peaks survive in a small file.
func downsample(ps []point, n int) []point {
	if len(ps) <= n || n < 2 {
		return ps
	}
	out := make([]point, 0, n)
	per := float64(len(ps)) / float64(n)
	for i := range n {
		lo, hi := int(float64(i)*per), int(float64(i+1)*per)
		best := ps[lo]
		for _, p := range ps[lo:min(hi, len(ps))] {
			if p.y > best.y {
				best = p
			}
		}
		out = append(out, best)
	}
	return out
}

// waterfall draws bars that start where the previous ended: a flow's steps.
func waterfall(title string, names []string, durations []float64, failed []bool) template.HTML {
	const rowH, labelW, width = 20.0, 200.0, 720.0
	total := 0.0
	for _, d := range durations {
		total += d
	}
	if total <= 0 {
		total = 1
	}
	h := padTop + rowH*float64(len(names)) + 24
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %.0f %.0f" width="%.0f" height="%.0f" role="img" aria-label="%s">`, width, h, width, h, esc(title))
	fmt.Fprintf(&b, `<text x="8" y="18" class="t">%s</text>`, esc(title))
	at := 0.0
	pw := width - labelW - 90
	for i, n := range names {
		y := padTop + rowH*float64(i)
		x := labelW + at/total*pw
		w := math.Max(durations[i]/total*pw, 1.5)
		color := "#2ca02c"
		if failed[i] {
			color = "#d62728"
		}
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" class="yl">%s</text>`, labelW-6, y+14, esc(clipText(n, 30)))
		fmt.Fprintf(&b, `<rect x="%.1f" y="%.1f" width="%.1f" height="%.1f" fill="%s"><title>%s</title></rect>`, x, y+3, w, rowH-6, color, esc(n))
		fmt.Fprintf(&b, `<text x="%.1f" y="%.1f" class="lg">%s</text>`, x+w+4, y+14, esc(fmtMs(durations[i])))
		at += durations[i]
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String()) // built from escaped parts only
}

func clipText(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func fmtMs(ms float64) string {
	switch {
	case ms >= 1000:
		return fmt.Sprintf("%.2fs", ms/1000)
	case ms >= 10:
		return fmt.Sprintf("%.0fms", ms)
	}
	return fmt.Sprintf("%.2gms", ms)
}
