package gate

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/probe-dev/probe/results"
)

// Effect is the smallest regression of one endpoint worth failing for.
type Effect struct {
	MinEffect float64       // relative latency increase, 0.05 for +5%
	MinDelta  time.Duration // and increase in time, at the baseline's p95
	Ignore    bool          // the endpoint is not gated at all
}

// Options are the gate's error rates and effects. The zero value means the
// defaults.
type Options struct {
	// Alpha bounds the chance that identical builds fail, across every
	// endpoint, metric and look (0.01).
	Alpha float64
	// Confidence of the intervals, and so of every pass (0.95).
	Confidence float64
	Effect     Effect            // for every endpoint: +5% and +2ms
	Endpoints  map[string]Effect // per endpoint, over Effect where set
	// MinErrorPoints and MinErrorRel: the smallest error-rate increase worth
	// failing for, absolute (0.002) and relative to the baseline's (0.5).
	MinErrorPoints float64
	MinErrorRel    float64
	MinPairs       int     // block pairs with data an endpoint needs at all (5)
	Throughput     float64 // candidate served/planned below this fails (0.98)
}

// DefaultAlpha is the default false-failure bound.
var DefaultAlpha = 0.01

func (o Options) withDefaults() Options {
	o.Alpha = cmp.Or(o.Alpha, DefaultAlpha)
	o.Confidence = cmp.Or(o.Confidence, 0.95)
	o.Effect.MinEffect = cmp.Or(o.Effect.MinEffect, 0.05)
	o.Effect.MinDelta = cmp.Or(o.Effect.MinDelta, 2*time.Millisecond)
	o.MinErrorPoints = cmp.Or(o.MinErrorPoints, 0.002)
	o.MinErrorRel = cmp.Or(o.MinErrorRel, 0.5)
	o.MinPairs = cmp.Or(o.MinPairs, 5)
	o.Throughput = cmp.Or(o.Throughput, 0.98)
	return o
}

// effect is the minimum effect of endpoint name.
func (o Options) effect(name string) Effect {
	e, ok := o.Endpoints[name]
	if !ok {
		return o.Effect
	}
	e.MinEffect = cmp.Or(e.MinEffect, o.Effect.MinEffect)
	e.MinDelta = cmp.Or(e.MinDelta, o.Effect.MinDelta)
	return e
}

// Validate reports options no gate can use.
func (o Options) Validate() error {
	bad := func(v float64) bool { return math.IsNaN(v) || math.IsInf(v, 0) }
	switch {
	case bad(o.Alpha) || o.Alpha < 0 || o.Alpha >= 0.5:
		return fmt.Errorf("alpha %g: want a rate between 0 and 0.5", o.Alpha)
	case bad(o.Confidence) || o.Confidence < 0 || o.Confidence >= 1:
		return fmt.Errorf("confidence %g: want a share between 0 and 1", o.Confidence)
	}
	for name, e := range o.Endpoints {
		if bad(e.MinEffect) || e.MinEffect < 0 || e.MinDelta < 0 {
			return fmt.Errorf("endpoint %q: minimum effect %g and delta %s must be at least 0", name, e.MinEffect, e.MinDelta)
		}
	}
	if bad(o.Effect.MinEffect) || o.Effect.MinEffect < 0 || o.Effect.MinDelta < 0 {
		return fmt.Errorf("minimum effect %g and delta %s must be at least 0", o.Effect.MinEffect, o.Effect.MinDelta)
	}
	return nil
}

// Pair is one baseline block and the candidate block run beside it.
type Pair struct {
	Baseline, Candidate *results.Summary
}

// Compare judges a fixed set of pairs in one look, with the whole of Alpha:
// what Run does at its end, for pairs gathered elsewhere. One pair (two saved
// summaries) is judged by the weaker saved-mode tests, which say so.
func Compare(pairs []Pair, o Options) *results.Gate {
	o = o.withDefaults()
	g := &results.Gate{Mode: "side-by-side", Pairs: len(pairs), Method: Method, Findings: []results.Finding{}}
	if len(pairs) == 0 || pairs[0].Baseline == nil || pairs[0].Candidate == nil {
		g.Verdict = results.GateInsufficient
		g.Notes = append(g.Notes, "no data to compare")
		return g
	}
	g.LoadTest, g.Env = pairs[0].Baseline.LoadTest, pairs[0].Baseline.Env
	if len(pairs) == 1 {
		return saved(g, pairs[0], o)
	}
	ps := make([]pairStat, len(pairs))
	for i, p := range pairs {
		ps[i] = statsOf(p)
	}
	return finish(g, ps, o, lookAt(o, []int{len(pairs)}, 0))
}

// finish fills g from the findings at look lk.
func finish(g *results.Gate, ps []pairStat, o Options, lk look) *results.Gate {
	g.Pairs, g.MaxPairs = lk.pairs, lk.max
	g.Findings = judge(ps, o, lk)
	if len(g.Findings) == 0 || (len(g.Findings) == 1 && g.Findings[0].Metric == "throughput") {
		g.Verdict = results.GateInsufficient
		g.Notes = append(g.Notes, "no endpoint or step on either side: nothing to compare")
		return g
	}
	g.Verdict = overall(g.Findings)
	var ignored []string
	for name, e := range o.Endpoints {
		if e.Ignore {
			ignored = append(ignored, name)
		}
	}
	if len(ignored) > 0 {
		slices.Sort(ignored)
		if n := fmt.Sprintf("not gated, as configured: %s", strings.Join(ignored, ", ")); !slices.Contains(g.Notes, n) {
			g.Notes = append(g.Notes, n)
		}
	}
	return g
}
