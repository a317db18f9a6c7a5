package gate

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/probe-dev/probe/results"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDistributions(t *testing.T) {
	tests := []struct {
		name      string
		got, want float64
	}{
		{"I_0.4(2,3)", regIncBeta(2, 3, 0.4), 0.5248},
		{"I_0(2,3)", regIncBeta(2, 3, 0), 0},
		{"I_1(2,3)", regIncBeta(2, 3, 1), 1},
		{"P(T>0)", tSurvival(0, 7), 0.5},
		{"P(T>2), 10 df", tSurvival(2, 10), 0.036694},
		{"P(T>-2), 10 df", tSurvival(-2, 10), 1 - 0.036694},
		{"t 0.975, 9 df", tQuantile(0.975, 9), 2.262157},
		{"t 0.975, 1000 df ≈ normal", tQuantile(0.975, 1000), 1.962339},
		{"P(Z>1.96)", normalSurvival(1.959964), 0.025},
		{"Fisher 1/10 vs 9/10", fisherGreater(1, 9, 9, 1), 101.0 / 184756},
		{"Fisher, no failures", fisherGreater(0, 10, 0, 10), 1},
		{"Fisher, fewer failures", fisherGreater(9, 1, 1, 9), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.InDelta(t, tt.want, tt.got, 1e-5)
		})
	}
	assert.Equal(t, []float64{0.03, 0.06, 0.06}, roundAll(holm([]float64{0.01, 0.04, 0.03}, nil)))
	// Weighted: the first holds half the weight, so its p counts twice.
	assert.Equal(t, []float64{0.02, 0.06, 0.06}, roundAll(holm([]float64{0.01, 0.04, 0.03}, []float64{2, 1, 1})))
	assert.Empty(t, holm(nil, nil))
}

func roundAll(xs []float64) []float64 {
	for i := range xs {
		xs[i] = math.Round(xs[i]*1e9) / 1e9
	}
	return xs
}

// block builds one block's summary: endpoints with n requests whose latency
// is base×scale with ±5% noise, and the given errors.
func block(rng *rand.Rand, n int64, eps map[string]struct {
	base   time.Duration
	scale  float64
	errors int64
	kind   string
}) *results.Summary {
	s := &results.Summary{LoadTest: "spike", Env: "staging", Overall: results.NewEndpoint("overall", "", ""), Planned: 0}
	for _, name := range []string{"a", "b", "c"} {
		spec, ok := eps[name]
		if !ok {
			continue
		}
		e := results.NewEndpoint(name, "GET", "/"+name)
		for i := range n {
			d := time.Duration(float64(spec.base) * spec.scale * (0.8 + 0.4*rng.Float64()))
			e.Requests++
			e.Latency.Record(d)
			if i < spec.errors {
				e.Errors++
				e.ErrorKinds[spec.kind]++
			}
		}
		s.Endpoints = append(s.Endpoints, e)
		s.Overall.Merge(e)
		s.Planned += n
		s.Sent += n
	}
	return s
}

type spec = struct {
	base   time.Duration
	scale  float64
	errors int64
	kind   string
}

func pairs(n int, base, cand map[string]spec) []Pair {
	rng := rand.New(rand.NewPCG(3, 4))
	var out []Pair
	for range n {
		out = append(out, Pair{Baseline: block(rng, 300, base), Candidate: block(rng, 300, cand)})
	}
	return out
}

func finding(g *results.Gate, endpoint, metric string) results.Finding {
	for _, f := range g.Findings {
		if f.Endpoint == endpoint && f.Metric == metric {
			return f
		}
	}
	return results.Finding{}
}

func TestCompare(t *testing.T) {
	same := map[string]spec{"a": {base: 20 * time.Millisecond, scale: 1}, "b": {base: 40 * time.Millisecond, scale: 1}}
	tests := []struct {
		name     string
		pairs    []Pair
		verdict  string
		endpoint string
		metric   string
		want     string
	}{
		{"identical builds pass", pairs(10, same, same), results.GatePass, "a", "latency p95", results.GatePass},
		{"a slower route is named", pairs(10, same, map[string]spec{"a": {base: 20 * time.Millisecond, scale: 1.2}, "b": {base: 40 * time.Millisecond, scale: 1}}),
			results.GateFail, "a", "latency p95", results.GateFail},
		{"a tiny shift passes", pairs(10, same, map[string]spec{"a": {base: 20 * time.Millisecond, scale: 1.02}, "b": {base: 40 * time.Millisecond, scale: 1}}),
			results.GatePass, "a", "latency p95", results.GatePass},
		{"errors rise on one route", pairs(10, same, map[string]spec{"a": {base: 20 * time.Millisecond, scale: 1}, "b": {base: 40 * time.Millisecond, scale: 1, errors: 15, kind: "http_5xx"}}),
			results.GateFail, "b", "errors", results.GateFail},
		{"errors of a kind the baseline never had", pairs(10, same, map[string]spec{"a": {base: 20 * time.Millisecond, scale: 1, errors: 6, kind: "timeout"}, "b": {base: 40 * time.Millisecond, scale: 1}}),
			results.GateFail, "a", "errors", results.GateFail},
		{"too few pairs is insufficient, never a pass", pairs(3, same, same), results.GateInsufficient, "a", "latency shift", results.GateInsufficient},
		{"an endpoint on one side only", pairs(10, same, map[string]spec{"a": {base: 20 * time.Millisecond, scale: 1}, "b": {base: 40 * time.Millisecond, scale: 1}, "c": {base: time.Millisecond, scale: 1}}),
			results.GateInsufficient, "c", "errors", results.GateInsufficient},
		{"saved summaries, slower", pairs(1, same, map[string]spec{"a": {base: 20 * time.Millisecond, scale: 1.3}, "b": {base: 40 * time.Millisecond, scale: 1}}),
			results.GateFail, "a", "latency p95", results.GateFail},
		{"saved summaries, same", pairs(1, same, same), results.GatePass, "b", "latency p95", results.GatePass},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := Compare(tt.pairs, Options{})
			assert.Equal(t, tt.verdict, g.Verdict, "%+v", g.Findings)
			f := finding(g, tt.endpoint, tt.metric)
			assert.Equal(t, tt.want, f.Verdict, "%+v", f)
			if f.Verdict == results.GateFail {
				assert.Contains(t, f.Reason, tt.metric[:5])
			}
			if len(tt.pairs) == 1 {
				assert.Equal(t, "saved", g.Mode)
				assert.NotEmpty(t, g.Notes, "the weaker mode says so")
			}
		})
	}
}

func TestCompareTiesAndEmpty(t *testing.T) {
	// Every block identical: no variance at all, and no shift.
	rng := rand.New(rand.NewPCG(1, 1))
	one := block(rng, 100, map[string]spec{"a": {base: 10 * time.Millisecond, scale: 1}})
	var ps []Pair
	for range 6 {
		ps = append(ps, Pair{Baseline: one, Candidate: one})
	}
	g := Compare(ps, Options{})
	assert.Equal(t, results.GatePass, g.Verdict)
	assert.Equal(t, 1.0, finding(g, "a", "latency p95").Ratio)

	assert.Equal(t, results.GateInsufficient, Compare(nil, Options{}).Verdict)
}

func TestThroughputGate(t *testing.T) {
	same := map[string]spec{"a": {base: 20 * time.Millisecond, scale: 1}}
	ps := pairs(6, same, same)
	for _, p := range ps {
		p.Candidate.Planned = p.Candidate.Planned * 10 / 9 // it sent only 90% of what was offered
	}
	g := Compare(ps, Options{})
	f := finding(g, "overall", "throughput")
	require.Equal(t, results.GateFail, f.Verdict, "%+v", f)
	assert.Equal(t, results.GateFail, g.Verdict)
}

// TestThroughputIgnoresErrors: requests that were sent and failed are the
// errors finding's, not throughput's. Identical builds with 3% background
// errors, one side just over the 98% bar and the other just under, failed
// on throughput.
func TestThroughputIgnoresErrors(t *testing.T) {
	for _, tc := range []struct {
		name       string
		base, cand int64 // errors of 300 a block
		verdict    string
	}{
		{"3% background errors on both", 5, 7, results.GatePass},
		{"errors on the candidate alone", 0, 30, results.GatePass},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ps := pairs(6, map[string]spec{"a": {base: 20 * time.Millisecond, scale: 1, errors: tc.base, kind: "http_5xx"}},
				map[string]spec{"a": {base: 20 * time.Millisecond, scale: 1, errors: tc.cand, kind: "http_5xx"}})
			f := finding(Compare(ps, Options{}), "overall", "throughput")
			assert.Equal(t, tc.verdict, f.Verdict, "%+v", f)
			assert.Equal(t, "100.0% of offered", f.Candidate)
		})
	}
}

// flowRuns builds n runs of a two-step flow whose product step takes
// product×(1±5%) and whose home step takes 80ms×(1±5%).
func flowRuns(rng *rand.Rand, n int, product time.Duration) []results.Run {
	noisy := func(d time.Duration) time.Duration { return time.Duration(float64(d) * (0.95 + 0.1*rng.Float64())) }
	var runs []results.Run
	for range n {
		steps := []results.Step{
			{Name: "navigate /", Duration: noisy(80 * time.Millisecond), Status: results.Pass},
			{Name: "navigate /products/1", Duration: noisy(product), Status: results.Pass},
		}
		runs = append(runs, results.Run{Scenario: "checkout", Env: "dev", Status: results.Pass,
			Attempts: []results.Attempt{{Status: results.Pass, Duration: steps[0].Duration + steps[1].Duration, Steps: steps}}})
	}
	return runs
}

func TestCompareBrowserSteps(t *testing.T) {
	tests := []struct {
		name        string
		pairs, runs int
		product     time.Duration // the candidate's; the baseline's is 100ms
		verdict     string
		failing     string
	}{
		{"side by side, same build", 10, 1, 100 * time.Millisecond, results.GatePass, ""},
		{"side by side, product step +30%", 10, 1, 130 * time.Millisecond, results.GateFail, "checkout: navigate /products/1"},
		{"side by side, too few pairs", 3, 1, 130 * time.Millisecond, results.GateInsufficient, ""},
		{"saved runs, product step +30%", 1, 40, 130 * time.Millisecond, results.GateFail, "checkout: navigate /products/1"},
		{"saved runs, one run each", 1, 1, 130 * time.Millisecond, results.GateInsufficient, ""},
		{"no runs at all", 10, 0, 100 * time.Millisecond, results.GateInsufficient, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(7, 9))
			var pairs []Pair
			for range tt.pairs {
				pairs = append(pairs, Pair{
					Baseline:  results.StepsSummary("checkout", "dev", flowRuns(rng, tt.runs, 100*time.Millisecond)),
					Candidate: results.StepsSummary("checkout", "dev", flowRuns(rng, tt.runs, tt.product)),
				})
			}
			g := Compare(pairs, Options{})
			assert.Equal(t, tt.verdict, g.Verdict, "%+v", g.Findings)
			for _, f := range g.Findings {
				assert.NotEqual(t, "throughput", f.Metric, "a flow has no offered rate")
				if f.Verdict == results.GateFail {
					assert.Equal(t, tt.failing, f.Endpoint, f.Reason)
				}
			}
		})
	}
}
