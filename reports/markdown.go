package reports

import (
	"fmt"
	"io"
	"strings"

	"github.com/probe-dev/probe/results"
)

// Markdown writes the report for a pull-request comment or GitHub's job
// summary: the verdict first, then the tables.
func Markdown(w io.Writer, r *Report) error {
	var b strings.Builder
	if r.Passed() {
		fmt.Fprintf(&b, "## ✅ %s\n\n", mdEsc(r.Verdict()))
	} else {
		fmt.Fprintf(&b, "## ❌ %s\n\n", mdEsc(r.Verdict()))
	}
	if len(r.Runs) > 0 {
		b.WriteString("### Checks and flows\n\n| scenario | env | status | duration | failing step | reason |\n|---|---|---|--:|---|---|\n")
		for _, run := range r.Runs {
			step := run.Last().FailingStep()
			status := string(run.Status)
			if run.Flaky {
				status += " (flaky)"
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", mdEsc(run.Scenario), mdEsc(run.Env), status,
				short(run.Duration), mdEsc(step), mdEsc(run.Reason))
		}
		b.WriteString("\n")
	}
	for _, g := range r.Gates {
		gateMarkdown(&b, g)
	}
	for _, d := range r.Drills {
		b.WriteString("### Drill\n\n```\n")
		if err := DrillText(&b, d); err != nil {
			return err
		}
		b.WriteString("```\n\n")
	}
	for _, s := range r.Summaries {
		fmt.Fprintf(&b, "### Load test %s on %s\n\n%s: %s, %d late.\n\n",
			mdEsc(s.LoadTest), mdEsc(s.Env), mdEsc(s.Stop), mdEsc(sentText(s)), s.Late)
		if len(s.Thresholds) > 0 {
			b.WriteString("| threshold | actual | result |\n|---|--:|---|\n")
			for _, t := range s.Thresholds {
				res := "pass"
				if !t.Pass {
					res = "**FAIL**"
				}
				fmt.Fprintf(&b, "| %s | %s | %s |\n", mdEsc(t.Name), mdEsc(t.Actual), res)
			}
			b.WriteString("\n")
		}
		b.WriteString("| endpoint | requests | p50 | p95 | p99 | max | errors | p99 from due |\n|---|--:|--:|--:|--:|--:|--:|--:|\n")
		for _, e := range append(append([]results.Endpoint{}, s.Endpoints...), s.Overall) {
			fmt.Fprintf(&b, "| %s | %d | %s | %s | %s | %s | %s | %s |\n", mdEsc(e.Name), e.Requests,
				short(e.Latency.Quantile(0.5)), short(e.Latency.Quantile(0.95)), short(e.Latency.Quantile(0.99)),
				short(e.Latency.Max()), errorsText(e), short(e.DueLatency.Quantile(0.99)))
		}
		b.WriteString("\n")
		journeysMarkdown(&b, s)
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("write Markdown: %w", err)
	}
	return nil
}

// mdEsc keeps a cell's text from breaking the table or turning into markup.
func mdEsc(s string) string {
	r := strings.NewReplacer("|", `\|`, "\n", " ", "*", `\*`, "_", `\_`, "`", "\\`", "<", "&lt;", ">", "&gt;")
	return r.Replace(s)
}
