package gate

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/probe-dev/probe/results"
)

// Options are the gate's thresholds. The zero value means the defaults.
type Options struct {
	Alpha          float64       // significance after Holm's correction (0.05)
	MinRatio       float64       // smallest p95 ratio worth failing for (1.05)
	MinDelta       time.Duration // and smallest p95 increase (2ms)
	MinErrorPoints float64       // smallest error-rate increase, absolute (0.002)
	MinErrorRel    float64       // and relative to the baseline's rate (0.5)
	NewKindCount   int64         // an error kind new in the candidate fails at this count (5)
	MinRequests    int64         // per endpoint and block to count the block (20)
	MinPairs       int           // block pairs needed side by side (5)
	P99Requests    int64         // per block for p99 to gate (200)
	Throughput     float64       // candidate sent/planned below this fails (0.98)
}

func (o Options) withDefaults() Options {
	o.Alpha = cmp.Or(o.Alpha, 0.05)
	o.MinRatio = cmp.Or(o.MinRatio, 1.05)
	o.MinDelta = cmp.Or(o.MinDelta, 2*time.Millisecond)
	o.MinErrorPoints = cmp.Or(o.MinErrorPoints, 0.002)
	o.MinErrorRel = cmp.Or(o.MinErrorRel, 0.5)
	o.NewKindCount = cmp.Or(o.NewKindCount, 5)
	o.MinRequests = cmp.Or(o.MinRequests, 20)
	o.MinPairs = cmp.Or(o.MinPairs, 5)
	o.P99Requests = cmp.Or(o.P99Requests, 200)
	o.Throughput = cmp.Or(o.Throughput, 0.98)
	return o
}

// Pair is one baseline block and the candidate block run beside it.
type Pair struct {
	Baseline, Candidate *results.Summary
}

// Compare judges a candidate against its baseline. With several pairs of
// interleaved blocks it tests the mean log-ratio of each block pair's p95
// (side by side: drift of a shared machine cancels out); with one pair (two
// saved summaries) it tests how many candidate requests exceed the baseline's
// p95, which is weaker and says so. Error counts get Fisher's exact test.
// p-values are corrected across endpoints (Holm), and a shift must also be
// large enough to matter.
//
// Summaries of scenario runs (results.StepsSummary) are judged per step the
// same way; side by side a block may then hold a single run of each step, as
// a browser flow is slow, and there is no throughput to judge.
func Compare(pairs []Pair, o Options) *results.Gate {
	g := &results.Gate{Mode: "side-by-side", Pairs: len(pairs), Findings: []results.Finding{}}
	if len(pairs) == 0 || pairs[0].Baseline == nil {
		g.Verdict = results.GateInsufficient
		g.Notes = append(g.Notes, "no data to compare")
		return g
	}
	steps := pairs[0].Baseline.Kind == results.KindScenario
	if steps && len(pairs) > 1 && o.MinRequests == 0 {
		o.MinRequests = 1
	}
	o = o.withDefaults()
	g.LoadTest, g.Env = pairs[0].Baseline.LoadTest, pairs[0].Baseline.Env
	if len(pairs) == 1 {
		g.Mode = "saved"
		g.Notes = append(g.Notes, "two saved runs, not interleaved blocks: drift between them is not cancelled out; prefer --baseline-url and --candidate-url")
	}
	names := endpointNames(pairs)
	if len(names) == 0 {
		g.Verdict = results.GateInsufficient
		g.Notes = append(g.Notes, "no endpoint or step on either side: nothing to compare")
		return g
	}
	var lat, errs []results.Finding
	for _, name := range names {
		lat = append(lat, latency(pairs, name, 0.95, "latency p95", o))
		if p99 := latency(pairs, name, 0.99, "latency p99", o); p99.Verdict != results.GateInsufficient {
			lat = append(lat, p99)
		}
		errs = append(errs, errorRate(pairs, name, o))
	}
	decide(lat, o, func(f *results.Finding) bool { return f.Ratio >= o.MinRatio && f.Reason != "small" })
	decide(errs, o, func(f *results.Finding) bool { return f.Reason != "small" })
	g.Findings = append(append(g.Findings, lat...), errs...)
	g.Findings = append(g.Findings, newKinds(pairs, names, o)...)
	if !steps {
		g.Findings = append(g.Findings, throughput(pairs, o))
	}
	g.Verdict = overall(g.Findings)
	return g
}

func endpointNames(pairs []Pair) []string {
	var names []string
	for _, p := range pairs {
		for _, s := range []*results.Summary{p.Baseline, p.Candidate} {
			for _, e := range s.Endpoints {
				if !slices.Contains(names, e.Name) {
					names = append(names, e.Name)
				}
			}
		}
	}
	return names
}

func endpointOf(s *results.Summary, name string) *results.Endpoint {
	if e := s.Endpoint(name); e != nil {
		return e
	}
	return &results.Endpoint{Name: name, Latency: results.NewHistogram(), DueLatency: results.NewHistogram()}
}

// latency tests quantile q of one endpoint.
func latency(pairs []Pair, name string, q float64, metric string, o Options) results.Finding {
	f := results.Finding{Endpoint: name, Metric: metric, P: 1, PAdjusted: 1}
	min := o.MinRequests
	if q > 0.95 {
		min = o.P99Requests
	}
	base, cand := results.NewHistogram(), results.NewHistogram()
	var logs []float64
	for _, p := range pairs {
		b, c := endpointOf(p.Baseline, name), endpointOf(p.Candidate, name)
		base.Merge(b.Latency)
		cand.Merge(c.Latency)
		if b.Latency.Count() < min || c.Latency.Count() < min {
			continue
		}
		logs = append(logs, math.Log(us(c.Latency.Quantile(q))/us(b.Latency.Quantile(q))))
	}
	f.NBase, f.NCand = base.Count(), cand.Count()
	f.Baseline, f.Candidate = short(base.Quantile(q)), short(cand.Quantile(q))
	delta := cand.Quantile(q) - base.Quantile(q)
	if len(pairs) == 1 {
		return exceedance(f, base, cand, q, delta, min, o)
	}
	if len(logs) < o.MinPairs {
		f.Verdict = results.GateInsufficient
		f.Reason = fmt.Sprintf("%d block pairs with %d+ requests each side; %d needed", len(logs), min, o.MinPairs)
		return f
	}
	n := float64(len(logs))
	mean, sd := meanSD(logs)
	se := sd / math.Sqrt(n)
	switch {
	case se == 0 && mean > 0:
		f.P = 0
	case se == 0:
		f.P = 1
	default:
		f.P = tSurvival(mean/se, n-1)
	}
	half := tQuantile(0.975, n-1) * se
	f.Ratio, f.Lower, f.Upper = math.Exp(mean), math.Exp(mean-half), math.Exp(mean+half)
	// The size of the shift, as the ratio estimates it, in time.
	delta = time.Duration(float64(base.Quantile(q)) * (f.Ratio - 1))
	if delta < o.MinDelta {
		f.Reason = "small"
	}
	return f
}

// exceedance is the one-pair test: under no change about 1-q of the
// candidate's requests exceed the baseline's quantile.
func exceedance(f results.Finding, base, cand *results.Histogram, q float64, delta time.Duration, min int64, o Options) results.Finding {
	if base.Count() < min || cand.Count() < min {
		f.Verdict = results.GateInsufficient
		f.Reason = fmt.Sprintf("%d and %d requests; %d needed each", base.Count(), cand.Count(), min)
		return f
	}
	n := float64(cand.Count())
	above := float64(cand.CountAbove(base.Quantile(q)))
	p0 := 1 - q
	z := (above - n*p0) / math.Sqrt(n*p0*(1-p0))
	f.P = normalSurvival(z)
	f.Ratio = us(cand.Quantile(q)) / us(base.Quantile(q))
	if delta < o.MinDelta {
		f.Reason = "small"
	}
	return f
}

func us(d time.Duration) float64 { return math.Max(float64(d.Microseconds()), 1) }

func meanSD(xs []float64) (float64, float64) {
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

// errorRate tests whether the candidate fails more often.
func errorRate(pairs []Pair, name string, o Options) results.Finding {
	f := results.Finding{Endpoint: name, Metric: "errors", P: 1, PAdjusted: 1}
	var bf, bn, cf, cn int64
	for _, p := range pairs {
		b, c := endpointOf(p.Baseline, name), endpointOf(p.Candidate, name)
		bf, bn, cf, cn = bf+b.Errors, bn+b.Requests, cf+c.Errors, cn+c.Requests
	}
	f.NBase, f.NCand = bn, cn
	if bn == 0 || cn == 0 {
		f.Verdict, f.Reason = results.GateInsufficient, "no requests on one side"
		return f
	}
	br, cr := float64(bf)/float64(bn), float64(cf)/float64(cn)
	f.Baseline, f.Candidate = fmt.Sprintf("%.2f%%", br*100), fmt.Sprintf("%.2f%%", cr*100)
	if br > 0 {
		f.Ratio = cr / br
	}
	f.P = fisherGreater(bf, bn-bf, cf, cn-cf)
	if cr-br < math.Max(o.MinErrorPoints, o.MinErrorRel*br) {
		f.Reason = "small"
	}
	return f
}

// decide applies Holm's correction to a family of findings and gives each its
// verdict: significant and large enough fails; large but not significant is
// inconclusive.
func decide(fs []results.Finding, o Options, large func(*results.Finding) bool) {
	var idx []int
	var ps []float64
	for i := range fs {
		if fs[i].Verdict == "" {
			idx, ps = append(idx, i), append(ps, fs[i].P)
		}
	}
	adj := holm(ps)
	for k, i := range idx {
		f := &fs[i]
		f.PAdjusted = adj[k]
		big := large(f)
		switch {
		case f.PAdjusted < o.Alpha && big:
			f.Verdict = results.GateFail
			f.Reason = fmt.Sprintf("%s went from %s to %s (ratio %.3f, p %.2g after Holm)", f.Metric, f.Baseline, f.Candidate, f.Ratio, f.PAdjusted)
		case big:
			f.Verdict = results.GateInconclusive
			f.Reason = "a large shift that is not significant: run more blocks (--pairs) or --auto-extend"
		default:
			f.Verdict = results.GatePass
			if f.Reason == "small" {
				f.Reason = "any shift is below the minimum effect"
			}
		}
	}
}

// newKinds fails an endpoint outright on an error kind the baseline never had.
func newKinds(pairs []Pair, names []string, o Options) []results.Finding {
	var out []results.Finding
	for _, name := range names {
		base, cand := map[string]int64{}, map[string]int64{}
		for _, p := range pairs {
			for k, v := range endpointOf(p.Baseline, name).ErrorKinds {
				base[k] += v
			}
			for k, v := range endpointOf(p.Candidate, name).ErrorKinds {
				cand[k] += v
			}
		}
		kinds := make([]string, 0, len(cand))
		for k := range cand {
			kinds = append(kinds, k)
		}
		slices.Sort(kinds)
		for _, k := range kinds {
			if base[k] == 0 && cand[k] >= o.NewKindCount {
				out = append(out, results.Finding{Endpoint: name, Metric: "error kind " + k, Verdict: results.GateFail,
					Baseline: "0", Candidate: fmt.Sprint(cand[k]), NCand: cand[k], P: 0, PAdjusted: 0,
					Reason: fmt.Sprintf("%d %s errors; the baseline had none", cand[k], k)})
			}
		}
	}
	return out
}

// throughput fails when the candidate could not take the offered load and the
// baseline could.
func throughput(pairs []Pair, o Options) results.Finding {
	f := results.Finding{Endpoint: "overall", Metric: "throughput", P: 1, PAdjusted: 1, Verdict: results.GatePass}
	var bs, bp, cs, cp int64
	for _, p := range pairs {
		bs, bp = bs+p.Baseline.Overall.Requests-p.Baseline.Overall.Errors, bp+p.Baseline.Planned
		cs, cp = cs+p.Candidate.Overall.Requests-p.Candidate.Overall.Errors, cp+p.Candidate.Planned
	}
	if bp == 0 || cp == 0 {
		f.Verdict, f.Reason = results.GateInsufficient, "nothing was planned"
		return f
	}
	br, cr := float64(bs)/float64(bp), float64(cs)/float64(cp)
	f.Baseline, f.Candidate, f.NBase, f.NCand = fmt.Sprintf("%.1f%% of offered", br*100), fmt.Sprintf("%.1f%% of offered", cr*100), bp, cp
	switch {
	case cr >= o.Throughput:
	case br < o.Throughput:
		f.Verdict, f.Reason = results.GateInconclusive, "neither side took the offered load: the generator or the environment is the limit"
	default:
		f.Verdict, f.Reason = results.GateFail, fmt.Sprintf("the candidate served %.1f%% of the offered load, the baseline %.1f%%", cr*100, br*100)
	}
	return f
}

// overall: any failure fails; otherwise anything unsure is unsure; a pass
// needs every finding to pass.
func overall(fs []results.Finding) string {
	has := func(v string) bool {
		return slices.ContainsFunc(fs, func(f results.Finding) bool { return f.Verdict == v })
	}
	switch {
	case has(results.GateFail):
		return results.GateFail
	case has(results.GateInconclusive):
		return results.GateInconclusive
	case has(results.GateInsufficient):
		return results.GateInsufficient
	}
	return results.GatePass
}

func short(d time.Duration) string {
	switch {
	case d < time.Millisecond:
		return fmt.Sprintf("%dµs", d.Microseconds())
	case d < time.Second:
		return fmt.Sprintf("%.3gms", float64(d)/float64(time.Millisecond))
	}
	return fmt.Sprintf("%.3gs", d.Seconds())
}
