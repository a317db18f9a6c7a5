package drill

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/probe-dev/probe/results"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestFitUSL recovers a known curve from points on it.
func TestFitUSL(t *testing.T) {
	lambda, sigma, kappa := 100.0, 0.05, 0.002
	x := func(n float64) float64 { return lambda * n / (1 + sigma*(n-1) + kappa*n*(n-1)) }
	var steps []results.DrillStep
	for _, n := range []float64{1, 2, 4, 8, 12, 16, 24, 32} {
		steps = append(steps, results.DrillStep{Concurrency: n, Throughput: x(n)})
	}
	u := fitUSL(steps)
	require.NotNil(t, u)
	assert.InDelta(t, lambda, u.Lambda, 1e-6)
	assert.InDelta(t, sigma, u.Sigma, 1e-9)
	assert.InDelta(t, kappa, u.Kappa, 1e-9)
	peakN := math.Sqrt((1 - sigma) / kappa)
	assert.InDelta(t, peakN, u.PeakN, 1e-6)
	assert.InDelta(t, x(peakN), u.PeakX, 1e-6)
	assert.Less(t, u.RelErrRMS, 1e-9)

	assert.Nil(t, fitUSL(steps[:2]), "too few points to fit three parameters")
}

func TestKnee(t *testing.T) {
	steps := []results.DrillStep{{Rate: 50, P95: 20e6, OK: true}, {Rate: 100, P95: 22e6, OK: true}, {Rate: 150, P95: 40e6, OK: true}, {Rate: 200, P95: 400e6}}
	assert.Equal(t, 100.0, knee(steps))
}

func TestConfigValidate(t *testing.T) {
	good := Config{Start: 50, Step: 50, Max: 500, StepDuration: time.Second, SLOP95: time.Second, SLOErrors: 0.01}
	cases := []struct {
		name string
		edit func(*Config)
		err  string
	}{
		{"good", func(*Config) {}, ""},
		{"a factor instead of a step", func(c *Config) { c.Step, c.Factor = 0, 1.5 }, ""},
		{"NaN factor", func(c *Config) { c.Step, c.Factor = 0, math.NaN() }, "finite"},
		{"infinite start", func(c *Config) { c.Start = math.Inf(1) }, "finite"},
		{"no start", func(c *Config) { c.Start = 0 }, "start rate must be above 0"},
		{"step and factor", func(c *Config) { c.Factor = 2 }, "not both"},
		{"neither", func(c *Config) { c.Step = 0 }, "need a step"},
		{"max below start", func(c *Config) { c.Max = 10 }, "below the start rate"},
		{"no step duration", func(c *Config) { c.StepDuration = 0 }, "step duration"},
		{"a step too short to measure", func(c *Config) { c.StepDuration = time.Millisecond }, "a step of 1ms at 50/s sends 0 requests; a step needs at least 10 requests to measure"},
		{"a step of just enough", func(c *Config) { c.Start, c.StepDuration = 10, time.Second }, ""},
		{"error SLO above 100%", func(c *Config) { c.SLOErrors = 2 }, "from 0% to 100%"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := good
			tc.edit(&c)
			err := c.Validate()
			if tc.err == "" {
				assert.NoError(t, err)
				return
			}
			assert.ErrorContains(t, err, tc.err)
		})
	}
}

// TestGeneratorLimitWhateverP95: a step where the generator fell behind ends
// the drill with limit generator, even though its p95 (inflated by the
// generator's own queueing) is above the SLO: the target is not blamed.
func TestGeneratorLimitWhateverP95(t *testing.T) {
	run := func(_ context.Context, rate float64, d time.Duration) (*results.Summary, error) {
		n := int64(rate * d.Seconds())
		s := &results.Summary{LoadTest: "l", Env: "dev", Planned: n, Sent: n, Duration: d, SendSpan: d,
			Overall: results.NewEndpoint("overall", "", ""), Endpoints: []results.Endpoint{results.NewEndpoint("a", "GET", "/a")}}
		latency := 20 * time.Millisecond
		if rate >= 150 {
			s.Sent, s.Dropped, s.Late = n/2, n-n/2, n/4
			latency = 400 * time.Millisecond
		}
		for range s.Sent {
			for _, e := range []*results.Endpoint{&s.Overall, &s.Endpoints[0]} {
				e.Requests++
				e.Latency.Record(latency)
				e.DueLatency.Record(latency)
			}
		}
		s.JudgeGenerator()
		return s, nil
	}
	d, err := Run(t.Context(), Config{Start: 100, Step: 50, Max: 500, StepDuration: time.Second, SLOP95: 100 * time.Millisecond, SLOErrors: 0.01}, run)
	require.NoError(t, err)
	assert.Equal(t, results.LimitGenerator, d.Limit)
	assert.Empty(t, d.Bottleneck)
	assert.False(t, d.Passed)
	last := d.Steps[len(d.Steps)-1]
	assert.Equal(t, results.LimitGenerator, last.Cause)
	assert.Contains(t, last.Why, "dropped")
}

// TestBottleneck: the endpoint named is the one furthest over the SLO, by
// whichever of p95 and errors it broke, and the reason says which; with none
// over, the slowest is named as such.
func TestBottleneck(t *testing.T) {
	type ep struct {
		name   string
		p95    time.Duration
		errors int64 // of 100 requests
	}
	slo := Config{SLOP95: 100 * time.Millisecond, SLOErrors: 0.01}
	cases := []struct {
		name      string
		cfg       Config
		endpoints []ep
		want, why string
	}{
		{"latency", slo, []ep{{"a", 90 * time.Millisecond, 0}, {"b", 300 * time.Millisecond, 0}}, "b", "its p95 300ms against the SLO 100ms"},
		{"errors further over than latency", slo, []ep{{"a", 150 * time.Millisecond, 0}, {"b", 50 * time.Millisecond, 5}}, "b", "its errors 5.00% against the SLO 1.00%"},
		{"latency further over than errors", slo, []ep{{"a", 900 * time.Millisecond, 0}, {"b", 50 * time.Millisecond, 2}}, "a", "its p95 900ms against the SLO 100ms"},
		{"no errors allowed", Config{SLOP95: time.Second}, []ep{{"a", 2 * time.Second, 0}, {"b", time.Millisecond, 1}}, "b", "its errors 1.00% against the SLO 0.00%"},
		{"none over: the slowest", slo, []ep{{"a", 20 * time.Millisecond, 1}, {"b", 60 * time.Millisecond, 0}}, "b", "none broke the SLO; the slowest, p95 60ms"},
		{"no latency SLO, none over", Config{SLOErrors: 0.5}, []ep{{"a", 70 * time.Millisecond, 0}, {"b", 20 * time.Millisecond, 3}}, "a", "none broke the SLO; the slowest, p95 70ms"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := &results.Summary{}
			for _, e := range tc.endpoints {
				r := results.NewEndpoint(e.name, "GET", "/"+e.name)
				r.Requests, r.Errors = 100, e.errors
				for range 100 {
					r.Latency.Record(e.p95)
				}
				s.Endpoints = append(s.Endpoints, r)
			}
			name, why := bottleneck(s, tc.cfg)
			assert.Equal(t, tc.want, name)
			assert.Equal(t, tc.why, why)
		})
	}
}
