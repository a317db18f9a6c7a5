package results

import (
	"fmt"
	"time"
)

// KindScenario marks a summary built from scenario runs.
const KindScenario = "scenario"

// StepsSummary puts the steps of scenario runs in the shape of a load test's
// summary, so the gate judges browser steps as it judges endpoints: each step
// of each scenario is an endpoint named "scenario: step" whose latency is the
// step's duration (passing steps only) and whose errors are its failures.
// Overall is the whole attempt. Every attempt counts, so a retry does not
// hide a failure; infra_error attempts are left out, being our side's doing.
// A step name seen twice in one attempt gets " (2)", and so on.
func StepsSummary(name, env string, runs []Run) *Summary {
	s := &Summary{Schema: SummarySchema, LoadTest: name, Env: env, Kind: KindScenario, Stop: StopCompleted,
		Overall: NewEndpoint("overall", "", "")}
	var end time.Time
	for _, r := range runs {
		for _, a := range r.Attempts {
			if a.Status == InfraError {
				continue
			}
			if s.Start.IsZero() || a.Start.Before(s.Start) {
				s.Start = a.Start
			}
			if e := a.Start.Add(a.Duration); e.After(end) {
				end = e
			}
			s.Sent++
			record(&s.Overall, a.Status, a.Duration)
			seen := map[string]int{}
			for _, st := range a.Steps {
				seen[st.Name]++
				n := r.Scenario + ": " + st.Name
				if k := seen[st.Name]; k > 1 {
					n = fmt.Sprintf("%s (%d)", n, k)
				}
				e := s.Endpoint(n)
				if e == nil {
					s.Endpoints = append(s.Endpoints, NewEndpoint(n, "", ""))
					e = &s.Endpoints[len(s.Endpoints)-1]
				}
				record(e, st.Status, st.Duration)
			}
		}
	}
	if !end.IsZero() {
		s.Duration = end.Sub(s.Start)
	}
	return s
}

// record counts one step or attempt: its time when it passed, its status as
// the error kind when it did not.
func record(e *Endpoint, st Status, d time.Duration) {
	e.Requests++
	if st == Pass {
		e.Latency.Record(d)
		return
	}
	e.Errors++
	e.ErrorKinds[string(st)]++
}
