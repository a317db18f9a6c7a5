package reports

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/probe-dev/probe/results"
)

// DrillText writes a drill's findings first, then the table of its steps.
func DrillText(w io.Writer, d *results.Drill) error {
	var b strings.Builder
	slo := fmt.Sprintf("errors ≤ %.2f%%", d.SLOErrors*100)
	if d.SLOP95 > 0 { // no p95 in the SLO: latency is not judged
		slo = fmt.Sprintf("p95 ≤ %s, %s", d.SLOP95, slo)
	}
	fmt.Fprintf(&b, "drill %s on %s: highest rate that held the SLO (%s): %.1f/s\n",
		d.LoadTest, d.Env, slo, d.HighestGood)
	fmt.Fprintf(&b, "ended by: %s", d.Limit)
	if d.Bottleneck != "" {
		fmt.Fprintf(&b, "; bottleneck: %s", d.Bottleneck)
		if d.BottleneckWhy != "" {
			fmt.Fprintf(&b, " (%s)", d.BottleneckWhy)
		}
	}
	b.WriteString("\n")
	if d.Knee > 0 {
		fmt.Fprintf(&b, "knee: %.1f/s (past it, latency climbs faster than load)\n", d.Knee)
	}
	if u := d.USL; u != nil {
		peakN := "levels off"
		if u.PeakN > 0 {
			peakN = fmt.Sprintf("%.1f", u.PeakN)
		}
		fmt.Fprintf(&b, "USL fit: λ %.1f/s, σ %.4f, κ %.6f; throughput peaks at %.1f/s (concurrency %s); fit error %.1f%%\n",
			u.Lambda, u.Sigma, u.Kappa, u.PeakX, peakN, u.RelErrRMS*100)
	}
	if d.Expect > 0 {
		verdict := "PASS"
		if !d.Passed {
			verdict = "FAIL"
		}
		fmt.Fprintf(&b, "expected %.1f/s: %s, headroom %.2f×\n", d.Expect, verdict, d.Headroom)
	}
	b.WriteString("\n")
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "RATE/s\tACHIEVED\tTHROUGHPUT\tP50\tP95\tP99\tERRORS\tCONCURRENCY\tLATE\tOK\t")
	for _, s := range d.Steps {
		ok := "yes"
		if !s.OK {
			ok = "no: " + s.Why
		}
		if s.Refining {
			ok += " (refining)"
		}
		fmt.Fprintf(tw, "%.1f\t%.1f\t%.1f\t%s\t%s\t%s\t%.2f%%\t%.1f\t%.0f%%\t%s\t\n", s.Rate, s.Achieved, s.Throughput,
			short(s.P50), short(s.P95), short(s.P99), s.ErrorRate*100, s.Concurrency, s.Late*100, ok)
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write drill: %w", err)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// DrillJSON writes the drill as indented JSON.
func DrillJSON(w io.Writer, d *results.Drill) error { return d.WriteJSON(w) }
