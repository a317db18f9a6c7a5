package results

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestStepsSummary(t *testing.T) {
	t0 := time.Date(2026, 11, 22, 8, 0, 0, 0, time.UTC)
	ms := time.Millisecond
	step := func(name string, d time.Duration, st Status) Step { return Step{Name: name, Duration: d, Status: st} }
	runs := []Run{
		{Scenario: "checkout", Env: "dev", Attempts: []Attempt{{Start: t0, Duration: 300 * ms, Status: Pass, Steps: []Step{
			step("navigate /", 100*ms, Pass), step("click #add", 50*ms, Pass), step("click #add", 70*ms, Pass)}}}},
		// A retried run: the failed attempt counts, the infra error does not.
		{Scenario: "checkout", Env: "dev", Attempts: []Attempt{
			{Start: t0.Add(time.Second), Duration: 2 * time.Second, Status: Timeout, Steps: []Step{step("navigate /", 2*time.Second, Timeout)}},
			{Start: t0.Add(4 * time.Second), Duration: time.Second, Status: InfraError, Steps: []Step{step("navigate /", time.Second, InfraError)}},
			{Start: t0.Add(6 * time.Second), Duration: 400 * ms, Status: Pass, Steps: []Step{step("navigate /", 200*ms, Pass)}},
		}},
	}
	s := StepsSummary("checkout", "dev", runs)
	assert.Equal(t, KindScenario, s.Kind)
	assert.Equal(t, int64(3), s.Sent)
	assert.Equal(t, t0, s.Start)
	assert.Equal(t, 6400*ms, s.Duration)
	assert.Equal(t, int64(3), s.Overall.Requests)
	assert.Equal(t, int64(1), s.Overall.Errors)

	var names []string
	for _, e := range s.Endpoints {
		names = append(names, e.Name)
	}
	require.Equal(t, []string{"checkout: navigate /", "checkout: click #add", "checkout: click #add (2)"}, names)
	nav := s.Endpoint("checkout: navigate /")
	assert.Equal(t, int64(3), nav.Requests)
	assert.Equal(t, int64(1), nav.Errors)
	assert.Equal(t, map[string]int64{"timeout": 1}, nav.ErrorKinds)
	assert.Equal(t, int64(2), nav.Latency.Count(), "only passing steps carry a time")
	assert.InDelta(t, float64(200*ms), float64(nav.Latency.Max()), float64(ms))
	assert.InDelta(t, float64(70*ms), float64(s.Endpoint("checkout: click #add (2)").Latency.Max()), float64(ms))

	empty := StepsSummary("checkout", "dev", nil)
	assert.Empty(t, empty.Endpoints)
	assert.Zero(t, empty.Duration)
}
