package gate

import (
	"context"
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/probe-dev/probe/results"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// lognormalRunner draws blocks of rate requests a second over endpoints by
// weight, each lognormal (σ 0.5) around its median; the candidate's medians
// are scaled by scale, and a shared drift wanders from block to block.
type lognormalRunner struct {
	rng     *rand.Rand
	rate    float64
	names   []string
	weights []int
	median  []time.Duration
	scale   map[string]float64
	errRate map[string]float64
	drift   float64
	blocks  int
	stopAt  int // cancel after this many blocks, if set
	cancel  context.CancelFunc
	// limited says which blocks the generator could not send on time.
	limited func(block int) bool
}

func newLognormal(seed uint64, scale map[string]float64) *lognormalRunner {
	return &lognormalRunner{rng: rand.New(rand.NewPCG(seed, 11)), rate: 300, names: []string{"a", "b", "rare"}, weights: []int{60, 37, 3},
		median: []time.Duration{10 * time.Millisecond, 20 * time.Millisecond, 15 * time.Millisecond}, scale: scale}
}

func (r *lognormalRunner) Run(ctx context.Context, b Block) (*results.Summary, error) {
	r.blocks++
	if r.stopAt > 0 && r.blocks == r.stopAt {
		r.cancel()
	}
	r.drift += 0.01 * r.rng.NormFloat64()
	n := int(r.rate * b.Length.Seconds())
	s := &results.Summary{LoadTest: "lt", Env: "ci", Planned: int64(n), Sent: int64(n), Duration: b.Length, SendSpan: b.Length, Overall: results.NewEndpoint("overall", "", "")}
	eps := make([]results.Endpoint, len(r.names))
	for i, name := range r.names {
		eps[i] = results.NewEndpoint(name, "GET", "/"+name)
	}
	for range n {
		k, i := r.rng.IntN(100), 0
		for k >= r.weights[i] {
			k -= r.weights[i]
			i++
		}
		f := 1.0
		if b.Build == Candidate && r.scale[r.names[i]] > 0 {
			f = r.scale[r.names[i]]
		}
		d := float64(r.median[i]) * f * math.Exp(0.5*r.rng.NormFloat64()+r.drift)
		eps[i].Requests++
		eps[i].Latency.Record(time.Duration(d))
		if b.Build == Candidate && r.rng.Float64() < r.errRate[r.names[i]] {
			eps[i].Errors++
			eps[i].ErrorKinds["http_5xx"]++
		}
	}
	for _, e := range eps {
		s.Overall.Requests += e.Requests
		s.Overall.Errors += e.Errors
	}
	s.Endpoints = eps
	if r.limited != nil && r.limited(r.blocks) {
		// Its queueing would show as a slower build, were it judged.
		s.Generator = &results.GeneratorLimit{Late: int64(n) / 2}
		for i := range s.Endpoints {
			s.Endpoints[i].Latency.Record(10 * time.Second)
		}
	}
	return s, nil
}

func TestRunDecides(t *testing.T) {
	tests := []struct {
		name    string
		scale   map[string]float64
		errRate map[string]float64
		verdict string
		failing string // the endpoint a failure names
	}{
		{"identical builds pass", nil, nil, results.GatePass, ""},
		{"+25% on b fails and names it", map[string]float64{"b": 1.25}, nil, results.GateFail, "b"},
		{"+2% on a is too small to fail", map[string]float64{"a": 1.02}, nil, results.GatePass, ""},
		{"2% errors on a fail", nil, map[string]float64{"a": 0.02}, results.GateFail, "a"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newLognormal(5, tt.scale)
			r.errRate = tt.errRate
			var looks []Progress
			g, err := Run(context.Background(), r, Design{Rand: rand.New(rand.NewPCG(1, 2)), MaxDuration: 2 * time.Minute,
				Progress: func(p Progress) {
					if p.Looked {
						looks = append(looks, p)
					}
				}}, Options{})
			require.NoError(t, err)
			assert.Equal(t, tt.verdict, g.Verdict, "%+v", g.Findings)
			require.NotEmpty(t, looks)
			assert.Equal(t, 6, looks[0].Pairs, "the first look ends the pilot")
			assert.Equal(t, g.Pairs, looks[len(looks)-1].Pairs)
			assert.LessOrEqual(t, g.LoadSpent, 2*time.Minute+2*g.Block, "the budget holds")
			assert.Equal(t, r.blocks-2, 2*g.Pairs, "every block after the warm-up is in a pair")
			for _, f := range g.Findings {
				switch {
				case f.Verdict == results.GateFail:
					assert.Equal(t, tt.failing, f.Endpoint, f.Reason)
				case tt.verdict == results.GatePass:
					assert.Equal(t, results.GatePass, f.Verdict, "%+v", f)
					assert.Contains(t, f.Reason+f.Metric, "", "every pass says what it rules out")
					if strings.HasPrefix(f.Metric, "latency") {
						assert.Contains(t, f.Reason, "no regression of +")
					}
				}
			}
		})
	}
}

// TestRunRareEndpoint: an endpoint with 3% of the traffic is judged at the
// effect it can resolve and says so, never turning the gate insufficient.
func TestRunRareEndpoint(t *testing.T) {
	r := newLognormal(9, nil)
	g, err := Run(context.Background(), r, Design{Rand: rand.New(rand.NewPCG(3, 4)), MaxDuration: time.Minute}, Options{})
	require.NoError(t, err)
	assert.Equal(t, results.GatePass, g.Verdict, "%+v", g.Findings)
	f := findingOf(g, "rare", "latency shift")
	assert.Regexp(t, `^no regression of \+\d+% or more \(upper bound .*\); could not resolve \+\d+% within the budget$`, f.Reason)
	assert.Greater(t, g.Block, time.Duration(0))
}

func TestRunInterrupted(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r := newLognormal(2, map[string]float64{"a": 1.01})
	r.stopAt, r.cancel = 9, cancel
	g, err := Run(ctx, r, Design{Rand: rand.New(rand.NewPCG(5, 6))}, Options{})
	require.ErrorIs(t, err, context.Canceled)
	require.NotNil(t, g)
	assert.True(t, g.Partial)
	assert.NotEqual(t, results.GatePass, g.Verdict, "an interrupted gate never passes")
	assert.Contains(t, strings.Join(g.Notes, " "), "interrupted (context canceled) after 3 pairs")
}

type failingRunner struct{ n int }

func (f *failingRunner) Run(_ context.Context, b Block) (*results.Summary, error) {
	f.n++
	if f.n > 3 {
		return nil, errors.New("connection refused")
	}
	return (&lognormalRunner{rng: rand.New(rand.NewPCG(1, 1)), rate: 10, names: []string{"a"}, weights: []int{100}, median: []time.Duration{time.Millisecond}}).Run(context.Background(), b)
}

func TestRunRunnerError(t *testing.T) {
	_, err := Run(context.Background(), &failingRunner{}, Design{Rand: rand.New(rand.NewPCG(1, 1))}, Options{})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "connection refused")
	assert.Regexp(t, `block of the (baseline|candidate)`, err.Error())

	_, err = Run(context.Background(), &failingRunner{}, Design{}, Options{Alpha: math.NaN()})
	assert.ErrorContains(t, err, "alpha NaN")
}

func TestSpending(t *testing.T) {
	assert.Equal(t, []int{6, 12, 24, 40}, schedule(6, 40))
	assert.Equal(t, []int{5}, schedule(6, 5))
	o := Options{}.withDefaults()
	at := schedule(6, 40)
	var fail, ci float64
	for i := range at {
		lk := lookAt(o, at, i)
		fail, ci = fail+lk.fail, ci+lk.ci
		assert.Equal(t, i == len(at)-1, lk.last)
	}
	assert.InDelta(t, o.Alpha, fail, 1e-12, "the looks spend exactly alpha")
	assert.InDelta(t, (1-o.Confidence)/2, ci, 1e-12)
	assert.Less(t, lookAt(o, at, 0).fail, o.Alpha/100, "the pilot's look is strict")
}

func TestEstimators(t *testing.T) {
	h := results.NewHistogram()
	for v := 1; v <= 1000; v++ {
		h.Record(time.Duration(v) * time.Microsecond)
	}
	s := statOf(&results.Endpoint{Latency: h})
	assert.InDelta(t, 950, math.Exp(s.tail[0]), 3, "Harrell–Davis p95 of 1..1000")
	assert.InDelta(t, 990, math.Exp(s.tail[1]), 3, "and p99")
	small := results.NewHistogram()
	small.Record(time.Millisecond)
	assert.True(t, math.IsNaN(statOf(&results.Endpoint{Latency: small}).tail[0]), "no p95 from one request")

	lo, hi := newcombe(0, 1000, 0, 1000, 1.96)
	assert.Less(t, lo, 0.0)
	assert.Greater(t, hi, 0.0, "zero counts still bound the difference")
	assert.Less(t, hi, 0.01)
	lo, _ = newcombe(1, 1000, 30, 1000, 1.96)
	assert.Greater(t, lo, 0.0, "1 vs 30 in 1000 is a real increase")
	assert.InDelta(t, 1.959964, normalQuantile(0.975), 1e-5)
}

func findingOf(g *results.Gate, endpoint, metric string) results.Finding {
	for _, f := range g.Findings {
		if f.Endpoint == endpoint && f.Metric == metric {
			return f
		}
	}
	return results.Finding{}
}

// TestRunRefusesGeneratorLimitedBlocks: a pair with a block the generator
// could not send on time is not judged (counted as refused); when the
// generator is the limit throughout, the gate ends with ErrGenerator and no
// pass.
func TestRunRefusesGeneratorLimitedBlocks(t *testing.T) {
	r := newLognormal(7, nil)
	r.limited = func(block int) bool { return block%5 == 0 }
	g, err := Run(context.Background(), r, Design{Rand: rand.New(rand.NewPCG(8, 9)), MaxDuration: time.Minute}, Options{})
	require.NoError(t, err)
	assert.Equal(t, results.GatePass, g.Verdict, "identical builds, the limited blocks left out: %+v", g.Findings)
	assert.Positive(t, g.RefusedPairs)

	all := newLognormal(7, nil)
	all.limited = func(int) bool { return true }
	g, err = Run(context.Background(), all, Design{Rand: rand.New(rand.NewPCG(8, 9)), MaxDuration: time.Minute}, Options{})
	require.ErrorIs(t, err, ErrGenerator)
	require.NotNil(t, g)
	assert.NotEqual(t, results.GatePass, g.Verdict)
	assert.Contains(t, strings.Join(g.Notes, " "), "the generator was the limit in 3 block pairs")
}

// TestFamily: each look's Alpha is shared by class (shift, tails, errors),
// split within a class by weight among the findings that could reach
// significance; a class with none gives its share to the others, and the
// levels always sum to the whole.
func TestFamily(t *testing.T) {
	j := func(metric string, pMin float64) judgement {
		return judgement{f: results.Finding{Metric: metric}, pMin: pMin}
	}
	lk := look{fail: 0.01}
	cases := []struct {
		name  string
		js    []judgement
		want  []float64 // each finding's level, 0 for left out
		plain bool
	}{
		{"every class", []judgement{j("latency shift", 0), j("latency shift", 0), j("latency p95", 0), j("latency p99", 0), j("errors", 0)},
			[]float64{0.2, 0.2, 0.1 * 2 / 3, 0.1 / 3, 0.5}, false},
		{"no error counts: latency takes it all", []judgement{j("latency shift", 0), j("latency p95", 0), j("errors", 0.5)},
			[]float64{0.8, 0.2, 0}, false},
		{"an error kind weighs less than the rate", []judgement{j("latency shift", 0), j("errors", 1e-6), j("error kind timeout", 1e-6)},
			[]float64{0.4 / 0.9, 0.5 / 1.3 / 0.9, 0.5 * 0.3 / 1.3 / 0.9}, false},
		{"leaving raises the rest, once", []judgement{j("latency shift", 0), j("errors", 0.0012), j("errors", 0.003)},
			[]float64{0.4 / 0.9, 0.5 / 0.9, 0}, false},
		{"saved runs: equal shares", []judgement{j("latency p95", 0), j("errors", 0)}, []float64{0.5, 0.5}, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			idx, levels := family(c.js, lk, !c.plain)
			got := make([]float64, len(c.js))
			var sum float64
			for k, i := range idx {
				got[i] = levels[k]
				sum += levels[k]
			}
			assert.InDeltaSlice(t, c.want, got, 1e-9)
			assert.InDelta(t, 1, sum, 1e-9, "the levels spend the look's whole share")
		})
	}
}

// TestRunPilotOverBudget: a budget that holds fewer pairs than the pilot is
// said to be overrun on the first pair, and only then; the pilot still runs.
func TestRunPilotOverBudget(t *testing.T) {
	for _, tc := range []struct {
		name   string
		budget time.Duration
		over   bool
	}{
		{"five pairs of 2s in 10s", 10 * time.Second, true},
		{"six pairs fit in 12s", 12 * time.Second, false},
		{"the default budget", 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var seen []Progress
			g, err := Run(context.Background(), newLognormal(5, nil), Design{Rand: rand.New(rand.NewPCG(1, 2)), Block: time.Second, MaxDuration: tc.budget,
				Progress: func(p Progress) { seen = append(seen, p) }}, Options{})
			require.NoError(t, err)
			require.NotEmpty(t, seen)
			assert.Equal(t, tc.over, seen[0].OverBudget)
			for _, p := range seen[1:] {
				assert.False(t, p.OverBudget, "said once, on the first pair")
			}
			assert.GreaterOrEqual(t, g.Pairs, 6, "the pilot runs whatever the budget")
		})
	}
}
