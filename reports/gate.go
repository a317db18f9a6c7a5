package reports

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/probe-dev/probe/results"
)

// GateText writes a gate's verdict first, then every finding with the
// numbers it rests on. With colour, verdicts are coloured.
func GateText(w io.Writer, g *results.Gate, colour bool) error {
	var b strings.Builder
	fmt.Fprintf(&b, "gate %s on %s (%s, %d block pairs): %s\n", g.LoadTest, g.Env, g.Mode, g.Pairs, paint(strings.ToUpper(g.Verdict), colour))
	for _, n := range g.Notes {
		fmt.Fprintf(&b, "note: %s\n", n)
	}
	if g.RefusedPairs > 0 {
		fmt.Fprintf(&b, "note: %d block pairs not judged: the generator could not send one of their blocks on time\n", g.RefusedPairs)
	}
	if g.Method != "" {
		fmt.Fprintf(&b, "method: %s\n", g.Method)
	}
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "ENDPOINT\tMETRIC\tBASELINE\tCANDIDATE\tRATIO\t95%% CI\tP (HOLM)\tN\t%s\tREASON\n", paint("VERDICT", colour))
	for _, f := range g.Findings {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%d/%d\t%s\t%s\n", f.Endpoint, f.Metric, f.Baseline, f.Candidate,
			ratio(f.Ratio), interval(f), pval(f), f.NBase, f.NCand, paint(f.Verdict, colour), f.Reason)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write gate: %w", err)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func gateMarkdown(b *strings.Builder, g *results.Gate) {
	fmt.Fprintf(b, "### Gate %s on %s: %s\n\n%s, %d block pairs.", mdEsc(g.LoadTest), mdEsc(g.Env), strings.ToUpper(g.Verdict), g.Mode, g.Pairs)
	for _, n := range g.Notes {
		fmt.Fprintf(b, " %s.", mdEsc(n))
	}
	if g.Method != "" {
		fmt.Fprintf(b, " Method: %s.", mdEsc(g.Method))
	}
	b.WriteString("\n\n| endpoint | metric | baseline | candidate | ratio | 95% CI | p (Holm) | n | verdict | reason |\n|---|---|--:|--:|--:|--:|--:|--:|---|---|\n")
	for _, f := range g.Findings {
		v := f.Verdict
		if v != results.GatePass {
			v = "**" + v + "**"
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s | %s | %d/%d | %s | %s |\n", mdEsc(f.Endpoint), mdEsc(f.Metric), f.Baseline, f.Candidate,
			ratio(f.Ratio), interval(f), pval(f), f.NBase, f.NCand, v, mdEsc(f.Reason))
	}
	b.WriteString("\n")
}

func ratio(r float64) string {
	if r == 0 {
		return "-"
	}
	return fmt.Sprintf("%.3f", r)
}

func interval(f results.Finding) string {
	if f.Lower == 0 && f.Upper == 0 {
		return "-"
	}
	return fmt.Sprintf("%.3f–%.3f", f.Lower, f.Upper)
}

func pval(f results.Finding) string { return fmt.Sprintf("%.2g", f.PAdjusted) }
