package reports

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/probe-dev/probe/results"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// journeySummary is a summary of one checkout journey: 100 started, 10
// failed at the login, 5 still at the payment when the test ended, 80
// completed, 7 dropped at max_users; the completed took 200 to 279 ms
// (p50 239 ms, p95 275 ms: the 40th and 76th of 80).
func journeySummary() *results.Summary {
	s := &results.Summary{Schema: results.SummarySchema, LoadTest: "campaign", Env: "staging", Start: t0, Duration: 10 * time.Second,
		SendSpan: 10 * time.Second, Stop: "completed", Planned: 107, Overall: results.NewEndpoint("overall", "", "")}
	steps := []string{"checkout: list", "checkout: login", "checkout: pay"}
	sent := []int64{100, 100, 85} // login's 10 failures never paid; 5 users had not paid yet
	j := results.NewJourney("checkout", steps)
	j.Started, j.Completed, j.Dropped, j.FailedAt = 100, 80, 7, []int64{0, 10, 0}
	for i := range 80 {
		j.Duration.Record(time.Duration(200+i) * time.Millisecond)
	}
	for i, name := range steps {
		e := results.NewEndpoint(name, "GET", "/")
		for range sent[i] {
			e.Requests++
			e.Latency.Record(5 * time.Millisecond)
			e.DueLatency.Record(6 * time.Millisecond)
		}
		if i == 1 {
			e.Errors, e.ErrorKinds["expectation"] = 10, 10
		}
		s.Endpoints = append(s.Endpoints, e)
		s.Overall.Requests += e.Requests
		s.Overall.Latency.Merge(e.Latency)
		s.Overall.DueLatency.Merge(e.DueLatency)
	}
	s.Sent = s.Overall.Requests
	s.Journeys = []results.Journey{j}
	return s
}

// TestJourneyFunnel: each format shows a journey's users as they went:
// started, sent each step (the users still in flight stop where they
// were), completed, with the failures at their step and the drops.
func TestJourneyFunnel(t *testing.T) {
	s := journeySummary()
	stages := funnel(s, s.Journeys[0])
	var got []string
	for _, st := range stages {
		got = append(got, st.Label)
	}
	assert.Equal(t, []string{"started", "checkout: list", "checkout: login", "checkout: pay", "completed"}, got)
	assert.Equal(t, []int64{100, 100, 100, 85, 80}, []int64{stages[0].Users, stages[1].Users, stages[2].Users, stages[3].Users, stages[4].Users})
	assert.Equal(t, int64(10), stages[2].Failed)
	assert.InDelta(t, 0.85, stages[3].Share, 1e-9)

	var text bytes.Buffer
	require.NoError(t, SummaryText(&text, s, false))
	out := text.String()
	assert.Contains(t, out, "107 arrivals planned (journeys and single requests); sent 285 requests")
	row := lineWith(t, out, "JOURNEY")
	assert.Equal(t, []string{"JOURNEY", "STARTED", "COMPLETED", "FAILED", "DROPPED", "UNFINISHED", "DURATION", "P50", "P95"}, strings.Fields(row))
	assert.Equal(t, []string{"checkout", "100", "80", "10", "at", "login", "7", "10", "239ms", "275ms"}, strings.Fields(lineWith(t, out, "checkout  ")))

	var md bytes.Buffer
	require.NoError(t, Markdown(&md, &Report{Title: "t", Summaries: []*results.Summary{s}}))
	assert.Contains(t, md.String(), "| checkout | 100 | 80 | 10 at login | 7 | 10 | 239ms | 275ms |")

	var page bytes.Buffer
	require.NoError(t, HTML(&page, &Report{Title: "t", Summaries: []*results.Summary{s}}))
	html := page.String()
	for _, want := range []string{
		"<h3>Journey checkout</h3>",
		`<tr><td>started</td><td class="n">100</td><td class="n">100.0%</td><td><div class="bar" style="width:240px"></div></td><td class="n"></td></tr>`,
		`<tr><td>checkout: login</td><td class="n">100</td><td class="n">100.0%</td><td><div class="bar" style="width:240px"></div></td><td class="n">10</td></tr>`,
		`<tr><td>checkout: pay</td><td class="n">85</td><td class="n">85.0%</td><td><div class="bar" style="width:204px"></div></td><td class="n"></td></tr>`,
		`<tr><td>completed</td><td class="n">80</td><td class="n">80.0%</td><td><div class="bar" style="width:192px"></div></td><td class="n"></td></tr>`,
		"7 arrivals dropped at max_users; 10 still in flight at the end",
	} {
		assert.Contains(t, html, want)
	}
}

// lineWith returns the first line of text that contains s.
func lineWith(t *testing.T, text, s string) string {
	t.Helper()
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, s) {
			return l
		}
	}
	t.Fatalf("no line with %q in:\n%s", s, text)
	return ""
}
