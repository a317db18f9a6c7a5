package reports

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/probe-dev/probe/results"
)

// RunsText writes one table of every run's steps: scenario, env, step,
// duration, status and reason, then a line of totals.
// With colour, statuses are coloured (for a terminal).
func RunsText(w io.Writer, runs []results.Run, colour bool) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "SCENARIO\tENV\tSTEP\tDURATION\t%s\tREASON\n", paint("STATUS", colour))
	counts := map[results.Status]int{}
	for _, r := range runs {
		counts[r.Status]++
		status := string(r.Status)
		switch {
		case r.Flaky:
			status += fmt.Sprintf(" (flaky, %d attempts)", len(r.Attempts))
		case len(r.Attempts) > 1:
			status += fmt.Sprintf(" (%d attempts)", len(r.Attempts))
		}
		last := r.Last()
		if len(last.Steps) == 0 {
			fmt.Fprintf(tw, "%s\t%s\t-\t%s\t%s\t%s\n", r.Scenario, r.Env, ms(r.Duration), paint(status, colour), r.Reason)
			continue
		}
		for i, s := range last.Steps {
			st := string(s.Status)
			if i == len(last.Steps)-1 {
				// The last step carries the run's flaky or attempts note.
				st += strings.TrimPrefix(status, string(r.Status))
			}
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Scenario, r.Env, s.Name, ms(s.Duration), paint(st, colour), s.Reason)
		}
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write run table: %w", err)
	}
	var b strings.Builder
	for _, r := range runs {
		if a := r.Last().Artifacts; len(a) > 0 && r.Status != results.Pass {
			fmt.Fprintf(&b, "artifacts of %s on %s: %s\n", r.Scenario, r.Env, filepath.Dir(a[0]))
		}
	}
	fmt.Fprintf(&b, "\n%d runs: %d pass, %d fail, %d timeout, %d infra_error\n", len(runs),
		counts[results.Pass], counts[results.Fail], counts[results.Timeout], counts[results.InfraError])
	if _, err := io.WriteString(w, b.String()); err != nil {
		return fmt.Errorf("write run table: %w", err)
	}
	return nil
}

func ms(d time.Duration) string {
	return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond))
}

// paint colours a status for a terminal. Every cell of a column gets the same
// number of escape bytes, so the columns stay aligned.
func paint(status string, on bool) string {
	if !on {
		return status
	}
	code := "39" // the terminal's own colour, for headers
	switch {
	case strings.HasPrefix(status, "pass"):
		code = "32"
	case strings.HasPrefix(status, "fail"), strings.HasPrefix(status, "FAIL"), strings.HasPrefix(status, "timeout"):
		code = "31"
	case strings.HasPrefix(status, "infra_error"):
		code = "33"
	}
	return "\x1b[" + code + "m" + status + "\x1b[0m"
}
