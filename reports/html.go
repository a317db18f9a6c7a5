package reports

import (
	"bytes"
	"cmp"
	"encoding/base64"
	"fmt"
	"html/template"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/probe-dev/probe/results"
	"github.com/probe-dev/probe/suite"
)

// maxTimelinePoints bounds each plot's points, so an hour-long test stays a
// small file; each point keeps the peak of the seconds it stands for.
const maxTimelinePoints = 600

// maxScreenshot bounds an embedded failure screenshot.
const maxScreenshot = 4 << 20

// HTML writes one self-contained page: styles inline, plots as inline SVG,
// screenshots as data URIs. It loads nothing from anywhere.
func HTML(w io.Writer, r *Report) error {
	view := htmlView{Report: r, Verdict: r.Verdict(), Passed: r.Passed()}
	if !r.Generated.IsZero() {
		view.Generated = r.Generated.UTC().Format(time.RFC3339)
	}
	for _, run := range r.Runs {
		view.Runs = append(view.Runs, runView(run))
	}
	for _, s := range r.Summaries {
		view.Loads = append(view.Loads, loadView(s))
	}
	for _, d := range r.Drills {
		view.Drills = append(view.Drills, drillView(d))
	}
	var buf bytes.Buffer
	if err := page.Execute(&buf, view); err != nil {
		return fmt.Errorf("write HTML report: %w", err)
	}
	if _, err := buf.WriteTo(w); err != nil {
		return fmt.Errorf("write HTML report: %w", err)
	}
	return nil
}

type htmlView struct {
	*Report
	Verdict   string
	Passed    bool
	Generated string
	Runs      []htmlRun
	Loads     []htmlLoad
	Drills    []htmlDrill
}

type htmlDrill struct {
	*results.Drill
	Text  string
	Plots []template.HTML
}

// drillView draws rate against latency (knee and SLO marked) and errors,
// and the USL curve over the measured throughput.
func drillView(d *results.Drill) htmlDrill {
	var b strings.Builder
	_ = DrillText(&b, d) // a strings.Builder does not fail
	v := htmlDrill{Drill: d, Text: b.String()}
	steps := append([]results.DrillStep(nil), d.Steps...)
	slices.SortFunc(steps, func(a, b results.DrillStep) int { return cmp.Compare(a.Rate, b.Rate) })
	ms := func(x time.Duration) float64 { return float64(x) / float64(time.Millisecond) }
	var p50, p95, p99, errs, meas []point
	for _, s := range steps {
		p50, p95, p99 = append(p50, point{s.Rate, ms(s.P50)}), append(p95, point{s.Rate, ms(s.P95)}), append(p99, point{s.Rate, ms(s.P99)})
		errs = append(errs, point{s.Rate, s.ErrorRate * 100})
		meas = append(meas, point{s.Concurrency, s.Throughput})
	}
	rate := axis{label: "offered rate (requests per second)", format: num}
	marks := []mark{{at: ms(d.SLOP95), label: "SLO p95", color: "#c62828"}}
	if d.Knee > 0 {
		marks = append(marks, mark{vertical: true, at: d.Knee, label: "knee", color: "#555"})
	}
	if d.HighestGood > 0 {
		marks = append(marks, mark{vertical: true, at: d.HighestGood, label: "highest good", color: "#2e7d32"})
	}
	v.Plots = append(v.Plots,
		chart{title: "Latency against offered rate", x: rate, y: axis{label: "latency (ms)", format: num},
			lines: []series{{name: "p50", points: p50}, {name: "p95", points: p95}, {name: "p99", points: p99}}, marks: marks}.svg(),
		chart{title: "Errors against offered rate", x: rate, y: axis{label: "errors (%)", format: num},
			lines: []series{{name: "errors", points: errs, color: "#d62728"}}}.svg())
	if u := d.USL; u != nil {
		var curve []point
		maxN := 0.0
		for _, p := range meas {
			maxN = max(maxN, p.x)
		}
		for i := 1; i <= 60; i++ {
			n := maxN * 1.3 * float64(i) / 60
			curve = append(curve, point{n, u.Throughput(n)})
		}
		slices.SortFunc(meas, func(a, b point) int { return cmp.Compare(a.x, b.x) })
		v.Plots = append(v.Plots, chart{title: "Throughput against concurrency, with the USL fit",
			x: axis{label: "concurrency (Little's law)", format: num}, y: axis{label: "throughput (per second)", format: num},
			lines: []series{{name: "measured", points: meas}, {name: "USL", points: curve, dashed: true, color: "#555"}}}.svg())
	}
	return v
}

type htmlRun struct {
	results.Run
	LastAttempt results.Attempt
	Waterfall   template.HTML
	Screenshot  template.URL
	FailedStep  string
}

var pngMagic = []byte("\x89PNG\r\n\x1a\n")

func runView(run results.Run) htmlRun {
	v := htmlRun{Run: run, LastAttempt: run.Last()}
	var names []string
	var ds []float64
	var failed []bool
	for _, st := range v.LastAttempt.Steps {
		names = append(names, st.Name)
		ds = append(ds, float64(st.Duration)/float64(time.Millisecond))
		failed = append(failed, st.Status != results.Pass)
	}
	v.FailedStep = v.LastAttempt.FailingStep()
	if len(names) > 1 {
		v.Waterfall = waterfall("Steps of "+run.Scenario, names, ds, failed)
	}
	if a := v.LastAttempt.Screenshot(); a != "" {
		// The path comes from a run file: a device would stream for ever,
		// and a file that is not a PNG has no place in the report.
		if data, err := suite.ReadRegular(a, maxScreenshot); err == nil && bytes.HasPrefix(data, pngMagic) {
			v.Screenshot = template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(data))
		}
	}
	return v
}

type htmlLoad struct {
	*results.Summary
	Sent     string
	Rows     []results.Endpoint
	Plots    []template.HTML
	Journeys []htmlJourney
}

func loadView(s *results.Summary) htmlLoad {
	v := htmlLoad{Summary: s, Sent: sentText(s), Rows: append(append([]results.Endpoint{}, s.Endpoints...), s.Overall), Journeys: journeyViews(s)}
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	secs := axis{label: "seconds since start", format: func(x float64) string { return strconv.FormatFloat(x, 'f', -1, 64) + "s" }}
	msAxis := axis{label: "latency (ms)", format: func(y float64) string { return strconv.FormatFloat(y, 'g', 3, 64) }}
	var p50, p95, p99, req, sent, errs []point
	for _, sec := range s.Timeline {
		x := float64(sec.T)
		p50, p95, p99 = append(p50, point{x, ms(sec.P50)}), append(p95, point{x, ms(sec.P95)}), append(p99, point{x, ms(sec.P99)})
		req, sent = append(req, point{x, sec.Requested}), append(sent, point{x, float64(sec.Sent)})
		errs = append(errs, point{x, float64(sec.Errors)})
	}
	ds := func(ps []point) []point { return downsample(ps, maxTimelinePoints) }
	rateTitle, requested := "Rate: requested and sent", "requested"
	if len(s.Journeys) > 0 {
		// The profile's rate is of arrivals; each journey sends its steps.
		rateTitle, requested = "Rate: arrivals planned, requests sent", "arrivals planned"
	}
	v.Plots = append(v.Plots,
		chart{title: "Latency over time (from send)", x: secs, y: msAxis, lines: []series{
			{name: "p50", points: ds(p50)}, {name: "p95", points: ds(p95)}, {name: "p99", points: ds(p99)}}}.svg(),
		chart{title: rateTitle, x: secs, y: axis{label: "per second", format: num}, lines: []series{
			{name: "requests sent", points: ds(sent)}, {name: requested, points: ds(req), dashed: true, color: "#222"}}}.svg(),
		chart{title: "Errors over time", x: secs, y: axis{label: "errors per second", format: num}, lines: []series{
			{name: "errors", points: ds(errs), color: "#d62728"}}}.svg(),
		percentilePlot(s),
	)
	return v
}

// quantiles of the HDR percentile plot, spread on its log axis.
var quantiles = []float64{0, 0.25, 0.5, 0.75, 0.9, 0.95, 0.98, 0.99, 0.995, 0.999, 0.9995, 0.9999, 0.99999}

// percentilePlot draws latency against percentile on the log axis of
// 1/(1-q), as HdrHistogram's plots do: the tail gets the room it deserves.
func percentilePlot(s *results.Summary) template.HTML {
	line := func(name string, h *results.Histogram, dashed bool) series {
		var ps []point
		for _, q := range quantiles {
			if h.Count() == 0 {
				break
			}
			if q > 1-1/float64(h.Count()) && q > 0.5 {
				break // beyond what this many values can tell
			}
			ps = append(ps, point{1 / (1 - q), float64(h.Quantile(q)) / float64(time.Millisecond)})
		}
		return series{name: name, points: ps, dashed: dashed}
	}
	var lines []series
	for _, e := range s.Endpoints {
		lines = append(lines, line(e.Name, e.Latency, false))
	}
	lines = append(lines, line("overall, from due", s.Overall.DueLatency, true))
	return chart{title: "Latency by percentile (HDR)",
		x: axis{label: "percentile", log: true, format: func(x float64) string {
			return strconv.FormatFloat(100*(1-1/x), 'f', -1, 64) + "%"
		}},
		y:     axis{label: "latency (ms)", log: true, format: func(y float64) string { return strconv.FormatFloat(y, 'g', 3, 64) }},
		lines: lines}.svg()
}

func num(v float64) string { return strconv.FormatFloat(v, 'g', 4, 64) }

var page = template.Must(template.New("report").Funcs(template.FuncMap{
	"short":    short,
	"ms":       func(d time.Duration) string { return fmtMs(float64(d) / float64(time.Millisecond)) },
	"pct":      func(e results.Endpoint) string { return fmt.Sprintf("%.2f%%", e.ErrorRate()*100) },
	"q":        func(h *results.Histogram, q float64) string { return short(h.Quantile(q)) },
	"share":    func(f float64) string { return fmt.Sprintf("%.1f%%", f*100) },
	"barWidth": func(f float64) int { return int(math.Round(240 * min(max(f, 0), 1))) },
	"cls":      func(v float64) string { return strconv.FormatFloat(v, 'f', 3, 64) },
	"lower":    strings.ToLower,
	"ratio":    ratio,
	"interval": interval,
	"pval":     pval,
}).Parse(pageHTML))

const pageHTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,"Liberation Sans",sans-serif;margin:0;color:#1b1f24;background:#f6f7f9}
header{background:#1b2a3a;color:#fff;padding:16px 24px}
header h1{margin:0 0 6px;font-size:20px}
main{padding:8px 24px 40px;max-width:1200px}
.verdict{display:inline-block;padding:6px 10px;border-radius:4px;font-weight:600}
.verdict.pass{background:#2e7d32}.verdict.fail{background:#c62828}
section{background:#fff;border:1px solid #dde1e6;border-radius:6px;padding:12px 16px;margin:16px 0}
h2{font-size:17px;margin:4px 0 10px}h3{font-size:15px;margin:14px 0 6px}
table{border-collapse:collapse;margin:6px 0 10px}
th,td{padding:4px 10px;border-bottom:1px solid #e6e8eb;text-align:left;white-space:nowrap}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
.s-pass{color:#2e7d32;font-weight:600}.s-fail,.s-timeout{color:#c62828;font-weight:600}.s-infra_error{color:#b26a00;font-weight:600}
.plots{display:flex;flex-wrap:wrap;gap:8px}
figure.plot{margin:0;background:#fff}
svg text{font:11px system-ui,"Liberation Sans",sans-serif;fill:#333}
svg .t{font-size:13px;font-weight:600}
svg .yl{text-anchor:end}svg .xl{text-anchor:middle}svg .lg{font-size:11px}svg .mk{text-anchor:end;font-size:11px}
svg .g{stroke:#eceef1}svg .f{fill:none;stroke:#c9ced6}
img.shot{max-width:100%;border:1px solid #ccc}
.funnel .bar{height:12px;background:#4a78b5;min-width:1px}
figure.plot p{max-width:520px;white-space:normal}
.muted{color:#666}
code{font-size:12px}
</style>
</head>
<body>
<header>
<h1>{{.Title}}</h1>
<span class="verdict {{if .Passed}}pass{{else}}fail{{end}}">{{.Verdict}}</span>
{{if .Generated}}<div class="muted" style="color:#c8d0da;margin-top:6px">generated {{.Generated}}</div>{{end}}
</header>
<main>
{{if .Runs}}<section id="runs">
<h2>Checks and flows</h2>
<table>
<tr><th>scenario</th><th>env</th><th>status</th><th class="n">duration</th><th class="n">attempts</th><th>failing step</th><th>reason</th></tr>
{{range .Runs}}<tr><td>{{.Scenario}}</td><td>{{.Env}}</td><td class="s-{{.Status}}">{{.Status}}{{if .Flaky}} (flaky){{end}}</td><td class="n">{{ms .Duration}}</td><td class="n">{{len .Attempts}}</td><td>{{.FailedStep}}</td><td>{{.Reason}}</td></tr>
{{end}}</table>
{{range .Runs}}{{if or .Waterfall .LastAttempt.Navigations .Screenshot}}
<h3>{{.Scenario}} on {{.Env}}: <span class="s-{{.Status}}">{{.Status}}</span></h3>
{{if .Waterfall}}<figure class="plot">{{.Waterfall}}</figure>{{end}}
{{with .LastAttempt}}
{{if .Navigations}}<table><tr><th>page</th><th class="n">TTFB</th><th class="n">FCP</th><th class="n">LCP</th><th class="n">CLS</th></tr>
{{range .Navigations}}<tr><td>{{.URL}}</td><td class="n">{{ms .TTFB}}</td><td class="n">{{if .FCP}}{{ms .FCP}}{{else}}-{{end}}</td><td class="n">{{if .LCP}}{{ms .LCP}}{{else}}-{{end}}</td><td class="n">{{cls .CLS}}</td></tr>
{{end}}</table>{{end}}
{{if .TraceID}}<div class="muted">trace id <code>{{.TraceID}}</code></div>{{end}}
{{if .ConsoleErrors}}<h3>Console errors</h3><ul>{{range .ConsoleErrors}}<li><code>{{.}}</code></li>{{end}}</ul>{{end}}
{{if .FailedRequests}}<h3>Failed requests</h3><ul>{{range .FailedRequests}}<li><code>{{.}}</code></li>{{end}}</ul>{{end}}
{{end}}
{{if .Screenshot}}<h3>Screenshot at the failure</h3><img class="shot" alt="page at the failure" src="{{.Screenshot}}">{{end}}
{{end}}{{end}}
</section>{{end}}
{{range .Gates}}<section class="gate">
<h2>Gate {{.LoadTest}} on {{.Env}}: <span class="s-{{if eq .Verdict "pass"}}pass{{else}}fail{{end}}">{{.Verdict}}</span></h2>
<p>{{.Mode}}, {{.Pairs}} block pairs.{{range .Notes}} {{.}}.{{end}}</p>
<table><tr><th>endpoint</th><th>metric</th><th class="n">baseline</th><th class="n">candidate</th><th class="n">ratio</th><th class="n">95% CI</th><th class="n">p (Holm)</th><th class="n">n</th><th>verdict</th><th>reason</th></tr>
{{range .Findings}}<tr><td>{{.Endpoint}}</td><td>{{.Metric}}</td><td class="n">{{.Baseline}}</td><td class="n">{{.Candidate}}</td><td class="n">{{ratio .Ratio}}</td><td class="n">{{interval .}}</td><td class="n">{{pval .}}</td><td class="n">{{.NBase}}/{{.NCand}}</td><td class="s-{{if eq .Verdict "pass"}}pass{{else}}fail{{end}}">{{.Verdict}}</td><td>{{.Reason}}</td></tr>
{{end}}</table>
</section>{{end}}
{{range .Drills}}<section class="drill">
<h2>Drill {{.LoadTest}} on {{.Env}}: {{printf "%.1f" .HighestGood}}/s held the SLO</h2>
<div class="plots">{{range .Plots}}<figure class="plot">{{.}}</figure>{{end}}</div>
<pre>{{.Text}}</pre>
</section>{{end}}
{{range .Loads}}<section class="load">
<h2>Load test {{.LoadTest}} on {{.Env}}{{if .Shard}} (shard {{.Shard}}){{end}}</h2>
<p>{{.Stop}}{{if .Partial}} <strong>(partial)</strong>{{end}}: {{.Sent}}; {{.Late}} sent late.</p>
<div class="plots">{{range .Plots}}<figure class="plot">{{.}}</figure>{{end}}</div>
{{if .Journeys}}<div class="plots">{{range .Journeys}}<figure class="plot"><h3>Journey {{.Name}}</h3>
<table class="funnel"><tr><th>stage</th><th class="n">users</th><th class="n">of started</th><th></th><th class="n">failed here</th></tr>
{{range .Stages}}<tr><td>{{.Label}}</td><td class="n">{{.Users}}</td><td class="n">{{share .Share}}</td><td><div class="bar" style="width:{{barWidth .Share}}px"></div></td><td class="n">{{if .Failed}}{{.Failed}}{{end}}</td></tr>
{{end}}</table>
<p class="muted">{{.Dropped}} arrivals dropped at max_users; {{.Unfinished}} still in flight at the end; duration of the completed p50 {{q .Duration 0.5}}, p95 {{q .Duration 0.95}} (think time included).</p></figure>
{{end}}</div>{{end}}
{{if .Thresholds}}<table><tr><th>threshold</th><th class="n">actual</th><th>result</th></tr>
{{range .Thresholds}}<tr><td>{{.Name}}</td><td class="n">{{.Actual}}</td><td class="{{if .Pass}}s-pass">pass{{else}}s-fail">FAIL{{end}}</td></tr>
{{end}}</table>{{end}}
<table><tr><th>endpoint</th><th class="n">requests</th><th class="n">p50</th><th class="n">p95</th><th class="n">p99</th><th class="n">max</th><th class="n">errors</th><th class="n">p99 from due</th></tr>
{{range .Rows}}<tr><td>{{.Name}}</td><td class="n">{{.Requests}}</td><td class="n">{{q .Latency 0.5}}</td><td class="n">{{q .Latency 0.95}}</td><td class="n">{{q .Latency 0.99}}</td><td class="n">{{short .Latency.Max}}</td><td class="n">{{.Errors}} ({{pct .}})</td><td class="n">{{q .DueLatency 0.99}}</td></tr>
{{end}}</table>
</section>{{end}}
</main>
</body>
</html>
`
