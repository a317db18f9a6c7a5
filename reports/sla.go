package reports

import (
	"encoding/json"
	"fmt"
	"html/template"
	"io"
	"strings"
	"time"

	"github.com/probe-dev/probe/results"
)

// SLAFormats are the formats of an SLA report.
var SLAFormats = []string{"text", "md", "json", "html"}

// SLA writes an SLA report in format.
func SLA(w io.Writer, format string, r *results.SLAReport) error {
	switch format {
	case "json":
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if err := enc.Encode(r); err != nil {
			return fmt.Errorf("write SLA report: %w", err)
		}
		return nil
	case "html":
		if err := slaPage.Execute(w, r); err != nil {
			return fmt.Errorf("write SLA report: %w", err)
		}
		return nil
	case "text", "md":
		_, err := io.WriteString(w, slaMarkdown(r))
		return err
	}
	return fmt.Errorf("SLA report format %q: want one of %s", format, strings.Join(SLAFormats, ", "))
}

func slaMarkdown(r *results.SLAReport) string {
	var b strings.Builder
	fmt.Fprintf(&b, "## SLA of %s over %s (%s to %s)\n\n", mdEsc(r.Env), windowText(r.Window),
		r.From.UTC().Format(time.RFC3339), r.To.UTC().Format(time.RFC3339))
	if r.Target > 0 {
		fmt.Fprintf(&b, "Objective: %.3g%% available.\n\n", r.Target*100)
	}
	b.WriteString("| scenario | availability | pass | fail | timeout | infra_error (not counted) | budget left |\n|---|--:|--:|--:|--:|--:|--:|\n")
	for _, c := range r.Checks {
		budget := "-"
		if r.Target > 0 {
			budget = fmt.Sprintf("%.1f%%", c.BudgetRemaining*100)
		}
		fmt.Fprintf(&b, "| %s | %.3f%% | %d | %d | %d | %d | %s |\n", mdEsc(c.Scenario), c.Availability*100, c.Pass, c.Fail, c.Timeout, c.InfraError, budget)
	}
	fmt.Fprintf(&b, "\n### Outages (%d)\n\n", len(r.Outages))
	if len(r.Outages) == 0 {
		b.WriteString("None.\n")
		return b.String()
	}
	b.WriteString("| scenario | start | end | duration | runs | failing step | reason |\n|---|---|---|--:|--:|---|---|\n")
	for _, o := range r.Outages {
		end := o.End.UTC().Format(time.RFC3339)
		if o.Ongoing {
			end = "ongoing"
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %d | %s | %s |\n", mdEsc(o.Scenario), o.Start.UTC().Format(time.RFC3339), end,
			o.Duration.Round(time.Second), o.Runs, mdEsc(o.FailingStep), mdEsc(o.Reason))
	}
	return b.String()
}

func windowText(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	}
	return d.String()
}

var slaPage = template.Must(template.New("sla").Funcs(template.FuncMap{
	"pct": func(v float64) string { return fmt.Sprintf("%.3f%%", v*100) },
	"ts":  func(t time.Time) string { return t.UTC().Format(time.RFC3339) },
	"win": windowText,
	"dur": func(d time.Duration) string { return d.Round(time.Second).String() },
}).Parse(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>SLA of {{.Env}}</title>
<style>body{font:14px/1.4 system-ui,"Liberation Sans",sans-serif;margin:24px;color:#1b1f24}table{border-collapse:collapse}
th,td{padding:4px 10px;border-bottom:1px solid #e6e8eb;text-align:left}td.n{text-align:right}</style></head><body>
<h1>SLA of {{.Env}} over {{win .Window}}</h1><p>{{ts .From}} to {{ts .To}}{{if .Target}}; objective {{pct .Target}}{{end}}</p>
<table><tr><th>scenario</th><th>availability</th><th>pass</th><th>fail</th><th>timeout</th><th>infra_error (not counted)</th>{{if .Target}}<th>budget left</th>{{end}}</tr>
{{$t := .Target}}{{range .Checks}}<tr><td>{{.Scenario}}</td><td class="n">{{pct .Availability}}</td><td class="n">{{.Pass}}</td><td class="n">{{.Fail}}</td><td class="n">{{.Timeout}}</td><td class="n">{{.InfraError}}</td>{{if $t}}<td class="n">{{pct .BudgetRemaining}}</td>{{end}}</tr>
{{end}}</table>
<h2>Outages ({{len .Outages}})</h2>
{{if .Outages}}<table><tr><th>scenario</th><th>start</th><th>end</th><th>duration</th><th>runs</th><th>failing step</th><th>reason</th></tr>
{{range .Outages}}<tr><td>{{.Scenario}}</td><td>{{ts .Start}}</td><td>{{if .Ongoing}}ongoing{{else}}{{ts .End}}{{end}}</td><td class="n">{{dur .Duration}}</td><td class="n">{{.Runs}}</td><td>{{.FailingStep}}</td><td>{{.Reason}}</td></tr>
{{end}}</table>{{else}}<p>None.</p>{{end}}
</body></html>
`))
