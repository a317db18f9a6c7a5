package reports

import (
	"fmt"
	"strings"
	"text/tabwriter"

	"github.com/probe-dev/probe/results"
)

// funnelStage is one row of a journey's funnel: how many users got this far.
type funnelStage struct {
	Label  string
	Users  int64
	Failed int64   // the users this step's failure ended
	Share  float64 // of the journeys started, 0 to 1
}

// funnel lays a journey out as its users went: started, sent each step
// (the step's endpoint counts its sends, so users still in flight at the
// end stop where they were), completed. Every format draws this one list.
func funnel(s *results.Summary, j results.Journey) []funnelStage {
	share := func(n int64) float64 {
		if j.Started == 0 {
			return 0
		}
		return float64(n) / float64(j.Started)
	}
	stages := []funnelStage{{Label: "started", Users: j.Started, Share: share(j.Started)}}
	for i, step := range j.Steps {
		sent := j.Reached(i)
		if e := s.Endpoint(step); e != nil {
			sent = e.Requests
		}
		stages = append(stages, funnelStage{Label: step, Users: sent, Failed: j.FailedAt[i], Share: share(sent)})
	}
	return append(stages, funnelStage{Label: "completed", Users: j.Completed, Share: share(j.Completed)})
}

// failedAtText names the steps that ended journeys, with their counts.
func failedAtText(j results.Journey) string {
	var parts []string
	for i, n := range j.FailedAt {
		if n > 0 {
			parts = append(parts, fmt.Sprintf("%d at %s", n, strings.TrimPrefix(j.Steps[i], j.Name+": ")))
		}
	}
	if len(parts) == 0 {
		return "0"
	}
	return strings.Join(parts, ", ")
}

// journeysText writes a row per journey: the users' fates and how long the
// completed journeys took, think time included.
func journeysText(b *strings.Builder, s *results.Summary) error {
	if len(s.Journeys) == 0 {
		return nil
	}
	b.WriteString("\n")
	tw := tabwriter.NewWriter(b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "JOURNEY\tSTARTED\tCOMPLETED\tFAILED\tDROPPED\tUNFINISHED\tDURATION P50\tP95")
	for _, j := range s.Journeys {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%d\t%d\t%s\t%s\n", j.Name, j.Started, j.Completed, failedAtText(j),
			j.Dropped, j.Unfinished(), short(j.Duration.Quantile(0.5)), short(j.Duration.Quantile(0.95)))
	}
	if err := tw.Flush(); err != nil {
		return fmt.Errorf("write journeys: %w", err)
	}
	return nil
}

// journeysMarkdown writes the same rows as journeysText, as a table.
func journeysMarkdown(b *strings.Builder, s *results.Summary) {
	if len(s.Journeys) == 0 {
		return
	}
	b.WriteString("| journey | started | completed | failed | dropped | unfinished | duration p50 | p95 |\n|---|--:|--:|---|--:|--:|--:|--:|\n")
	for _, j := range s.Journeys {
		fmt.Fprintf(b, "| %s | %d | %d | %s | %d | %d | %s | %s |\n", mdEsc(j.Name), j.Started, j.Completed, mdEsc(failedAtText(j)),
			j.Dropped, j.Unfinished(), short(j.Duration.Quantile(0.5)), short(j.Duration.Quantile(0.95)))
	}
	b.WriteString("\n")
}

// htmlJourney is a journey's funnel for the page.
type htmlJourney struct {
	results.Journey
	Stages []funnelStage
}

func journeyViews(s *results.Summary) []htmlJourney {
	var out []htmlJourney
	for _, j := range s.Journeys {
		out = append(out, htmlJourney{Journey: j, Stages: funnel(s, j)})
	}
	return out
}
