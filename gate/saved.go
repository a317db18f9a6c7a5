package gate

import (
	"fmt"
	"math"
	"time"

	"github.com/probe-dev/probe/results"
)

// saved judges two saved summaries: no pairs, so no drift cancels and no
// variance between blocks is known. Latency is judged by how many candidate
// requests exceed the baseline's quantile (about 1-q of them under no
// change); errors as side by side.
func saved(g *results.Gate, p Pair, o Options) *results.Gate {
	g.Mode = "saved"
	g.Notes = append(g.Notes, "two saved runs, not interleaved blocks: drift between them is not cancelled out; prefer --baseline-url and --candidate-url")
	ps := []pairStat{statsOf(p)}
	lk := lookAt(o, []int{1}, 0)
	var js []judgement
	for _, name := range namesOf(ps) {
		eff := o.effect(name)
		if eff.Ignore {
			continue
		}
		b, c := endpointOf(p.Baseline, name), endpointOf(p.Candidate, name)
		for i, t := range tails {
			// Past p95, a tail with too few requests is left out rather
			// than making the whole gate insufficient.
			if i > 0 && min(b.Latency.Count(), c.Latency.Count()) < t.min {
				continue
			}
			js = append(js, exceedance(name, t.metric, b.Latency, c.Latency, t.q, t.min, eff))
		}
		js = append(js, errorFindings(ps, name, o, lk)...)
	}
	// Not by class: there is no shift finding to carry the latency's share.
	decide(js, lk, false)
	for _, j := range js {
		g.Findings = append(g.Findings, j.f)
	}
	if !ps[0].steps {
		g.Findings = append(g.Findings, throughput(ps, o))
	}
	g.Verdict = overall(g.Findings)
	return g
}

func exceedance(name, metric string, base, cand *results.Histogram, q float64, min int64, eff Effect) judgement {
	f := results.Finding{Endpoint: name, Metric: metric, P: 1, PAdjusted: 1, NBase: base.Count(), NCand: cand.Count()}
	if base.Count() < min || cand.Count() < min {
		f.Verdict = results.GateInsufficient
		f.Reason = fmt.Sprintf("%d and %d requests; %d needed each", base.Count(), cand.Count(), min)
		return judgement{f: f}
	}
	bq, cq := base.Quantile(q), cand.Quantile(q)
	f.Baseline, f.Candidate = results.Short(bq), results.Short(cq)
	n := float64(cand.Count())
	above := float64(cand.CountAbove(bq))
	p0 := 1 - q
	f.P = normalSurvival((above - n*p0) / math.Sqrt(n*p0*(1-p0)))
	f.Ratio = us(cq) / us(bq)
	delta := cq - bq
	matters := f.Ratio >= 1+eff.MinEffect && delta >= eff.MinDelta
	f.Reason = fmt.Sprintf("%s went from %s to %s (%s; %.0f of %.0f candidate requests above the baseline's, %.0f expected)",
		metric, f.Baseline, f.Candidate, pct(f.Ratio), above, n, n*p0)
	return judgement{f: f, matters: matters, small: !matters,
		endText: fmt.Sprintf("%s: any shift is below the minimum effect or not significant (saved runs give no interval)", pct(f.Ratio))}
}

func endpointOf(s *results.Summary, name string) *results.Endpoint {
	if e := s.Endpoint(name); e != nil {
		return e
	}
	return &results.Endpoint{Name: name, Latency: results.NewHistogram(), DueLatency: results.NewHistogram()}
}

func us(d time.Duration) float64 { return math.Max(float64(d.Microseconds()), 1) }

func meanSD(xs []float64) (float64, float64) {
	if len(xs) == 0 {
		return 0, 0
	}
	var sum float64
	for _, x := range xs {
		sum += x
	}
	mean := sum / float64(len(xs))
	var ss float64
	for _, x := range xs {
		ss += (x - mean) * (x - mean)
	}
	if len(xs) < 2 {
		return mean, 0
	}
	return mean, math.Sqrt(ss / float64(len(xs)-1))
}
