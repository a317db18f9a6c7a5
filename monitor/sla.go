package monitor

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/probe-dev/probe/results"
	"github.com/probe-dev/probe/store"
)

// SLA computes availability per scenario on env over the window ending at
// now, from the history, with every outage: availability is passed /
// (passed + failed + timeout), as the metrics and rules compute it.
func SLA(ctx context.Context, h History, env string, window time.Duration, now time.Time, target float64) (*results.SLAReport, error) {
	from := now.Add(-window)
	recs, err := h.Runs(ctx, store.Query{Env: env, Since: from, Until: now})
	if err != nil {
		return nil, err
	}
	rep := &results.SLAReport{Env: env, From: from, To: now, Window: window, Target: target, Checks: []results.CheckSLA{}, Outages: []results.Outage{}}
	byScenario := map[string][]store.Record{}
	for _, r := range recs {
		byScenario[r.Scenario] = append(byScenario[r.Scenario], r)
	}
	names := make([]string, 0, len(byScenario))
	for n := range byScenario {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, name := range names {
		runs := byScenario[name]
		var c store.Counts
		var open *results.Outage
		for _, r := range runs {
			switch r.Status {
			case results.Pass:
				c.Pass++
				if open != nil {
					open.End = r.Start
					open.Duration = open.End.Sub(open.Start)
					rep.Outages = append(rep.Outages, *open)
					open = nil
				}
			case results.Fail, results.Timeout:
				if r.Status == results.Fail {
					c.Fail++
				} else {
					c.Timeout++
				}
				if open == nil {
					open = &results.Outage{Scenario: name, Start: r.Start, FailingStep: r.FailingStep, Reason: r.Reason}
				}
				open.Runs++
			case results.InfraError:
				c.InfraError++ // neither ends nor extends an outage
			}
		}
		if open != nil {
			open.End, open.Ongoing = now, true
			open.Duration = now.Sub(open.Start)
			rep.Outages = append(rep.Outages, *open)
		}
		cs := results.CheckSLA{Scenario: name, Pass: c.Pass, Fail: c.Fail, Timeout: c.Timeout, InfraError: c.InfraError, Availability: c.Availability()}
		if target > 0 {
			cs.BudgetRemaining = BudgetRemaining(cs.Availability, target)
		}
		rep.Checks = append(rep.Checks, cs)
	}
	slices.SortStableFunc(rep.Outages, func(a, b results.Outage) int {
		if c := a.Start.Compare(b.Start); c != 0 {
			return c
		}
		return strings.Compare(a.Scenario, b.Scenario)
	})
	return rep, nil
}
