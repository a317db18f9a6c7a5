package reports

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/probe-dev/probe/results"
)

// SummaryText writes a load test's summary for the terminal: what was sent
// against what was asked, a row per endpoint, and each threshold. With
// colour, results are coloured (for a terminal).
func SummaryText(w io.Writer, s *results.Summary, colour bool) error {
	var b strings.Builder
	shard := ""
	if s.Shard != "" {
		shard = " (shard " + s.Shard + ")"
	}
	fmt.Fprintf(&b, "load test %s on %s%s: %s after %s\n", s.LoadTest, s.Env, shard, s.Stop, s.Duration.Round(time.Millisecond))
	b.WriteString(sentText(s))
	fmt.Fprintf(&b, "; %d sent late (more than %s after due)", s.Late, results.LateAfter)
	if s.Dropped > 0 {
		fmt.Fprintf(&b, ", %d dropped", s.Dropped)
	}
	b.WriteString("\n")
	if g := s.Generator; g != nil {
		fmt.Fprintf(&b, "GENERATOR LIMIT: probe could not keep the schedule from %s (%d sent late, %d dropped); "+
			"the latencies include its own queueing: send from more machines (--shard) or at a lower rate\n", g.From, g.Late, g.Dropped)
	}
	if s.Partial {
		b.WriteString("PARTIAL: the load test did not run its whole profile\n")
	}
	b.WriteString("\n")
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "ENDPOINT\tREQUESTS\tRATE/s\tP50\tP95\tP99\tMAX\tERRORS\tP99 FROM DUE\t")
	row := func(e results.Endpoint) {
		rate := 0.0
		if s.Duration > 0 {
			rate = float64(e.Requests) / s.Duration.Seconds()
		}
		fmt.Fprintf(tw, "%s\t%d\t%.1f\t%s\t%s\t%s\t%s\t%s\t%s\t\n", e.Name, e.Requests, rate,
			short(e.Latency.Quantile(0.5)), short(e.Latency.Quantile(0.95)), short(e.Latency.Quantile(0.99)), short(e.Latency.Max()),
			errorsText(e), short(e.DueLatency.Quantile(0.99)))
	}
	for _, e := range s.Endpoints {
		row(e)
	}
	row(s.Overall)
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write summary: %w", err)
	}
	if err := journeysText(&b, s); err != nil {
		return err
	}
	if len(s.Thresholds) > 0 {
		b.WriteString("\n")
		tw = tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
		fmt.Fprintf(tw, "THRESHOLD\tACTUAL\t%s\n", paint("RESULT", colour))
		for _, t := range s.Thresholds {
			verdict := "pass"
			if !t.Pass {
				verdict = "FAIL"
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\n", t.Name, t.Actual, paint(verdict, colour))
		}
		if err := tw.Flush(); err != nil {
			return fmt.Errorf("write summary: %w", err)
		}
	} else {
		// A run of all errors passed without a word: say that nothing
		// judged it.
		b.WriteString("\nno thresholds: errors and latency are not judged (add thresholds: to the load test)\n")
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("write summary: %w", err)
	}
	return nil
}

// sentText says what was sent against what was planned: requests, or with
// journeys the arrivals planned and the requests their steps sent.
func sentText(s *results.Summary) string {
	if len(s.Journeys) > 0 {
		return fmt.Sprintf("%d arrivals planned (journeys and single requests); sent %d requests, at %.1f/s", s.Planned, s.Sent, s.AchievedRate())
	}
	return fmt.Sprintf("sent %d of %d planned requests, at %.1f/s", s.Sent, s.Planned, s.AchievedRate())
}

func errorsText(e results.Endpoint) string {
	if e.Errors == 0 {
		return "0"
	}
	return fmt.Sprintf("%d (%.2f%%)", e.Errors, e.ErrorRate()*100)
}

// short writes a latency as results.Short does, and no latency as "-".
func short(d time.Duration) string {
	if d == 0 {
		return "-"
	}
	return results.Short(d)
}
