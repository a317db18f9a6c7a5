package gate

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/probe-dev/probe/results"
)

// zPlan is how far, in standard errors, a margin the gate plans to resolve
// lies beyond the interval it expects at the end of the budget: with no
// change the upper bound falls below it with probability Φ(4), and by a t distribution still 99.98%.
const zPlan = 4.0

// minExcess is how many errors beyond the baseline's rate a candidate must
// have before an error finding can be called large.
const minExcess = 5

// noEvidence: at the end of the budget, a finding whose p-value before any
// correction is above this shows no real sign of a regression and passes, with
// the bound its interval gives, rather than being called inconclusive.
const noEvidence = 0.01

// lookGrowth is how much each look's pairs exceed the last's.
var lookGrowth = 2.0

// look is one interim analysis: how many pairs it sees, and its share of the
// error rates under the spending function.
type look struct {
	pairs, max int     // pairs seen, most pairs the budget holds
	fail       float64 // share of Alpha spent at this look (before Holm)
	ci         float64 // share of each interval's one-sided error spent here
	ciLast     float64 // the last look's share, to plan margins with
	last       bool
}

// Spending functions: the share of an error rate used by information
// fraction t. False failures are spent as t⁴ (like O'Brien–Fleming: early
// looks are strict, and most of alpha is left for the end, where the power
// for small effects and rare errors is; a large regression fails early all
// the same); the intervals that passes rest on as t^1.5, so that a clear
// pass can stop early.
func spentFail(t float64) float64 { return math.Pow(math.Min(t, 1), 4) }
func spentCI(t float64) float64   { return math.Pow(math.Min(t, 1), 1.5) }

// schedule lists the pair counts at which the gate looks: at the end of the
// pilot, then each lookGrowth times the last, and at max.
func schedule(pilot, max int) []int {
	pilot = min(pilot, max)
	var at []int
	for k := pilot; k < max; k = int(math.Ceil(float64(k) * lookGrowth)) {
		at = append(at, k)
	}
	return append(at, max)
}

// lookAt is the i-th look of the schedule at.
func lookAt(o Options, at []int, i int) look {
	max := float64(at[len(at)-1])
	share := func(f func(float64) float64, j int) float64 {
		prev := 0.0
		if j > 0 {
			prev = f(float64(at[j-1]) / max)
		}
		return f(float64(at[j])/max) - prev
	}
	side := (1 - o.Confidence) / 2
	return look{pairs: at[i], max: at[len(at)-1], fail: o.Alpha * share(spentFail, i), ci: side * share(spentCI, i),
		ciLast: side * share(spentCI, len(at)-1), last: i == len(at)-1}
}

// judgement is one finding before the family's correction: its p-value,
// whether it could still matter (the interval reaches the minimum effect),
// and whether it already rules out the margin it can resolve.
type judgement struct {
	f        results.Finding
	matters  bool
	passes   bool
	passText string
	// small: the estimate is below the minimum effect; at the last look
	// such a finding passes, saying what the data rule out (endText).
	small   bool
	endText string
	// pMin is the smallest p-value the test could give with these counts
	// (Fisher's, on errors); 0 for continuous tests.
	pMin float64
}

// The false-failure rate is shared between classes of finding, fixed before
// any data: the shift of the whole distribution, the tails, and the errors.
// Within a class it is split by weight among the findings that could reach
// significance at all (for errors, Tarone's rule); a class with none gives
// its share to the others. Errors carry half: an error increase is a few
// dozen counts even in a long gate, and needs the level; a tail that
// regressed alone is usually large.
var classes = map[string]struct {
	share float64
	of    map[string]float64 // weight within the class by metric; "" for the rest
}{
	"shift":  {0.4, map[string]float64{"latency shift": 1}},
	"tail":   {0.1, map[string]float64{"latency p95": 2, "latency p99": 1}},
	"errors": {0.5, map[string]float64{"errors": 1, "": 0.3}}, // "": an error kind
}

// classOf is the class of a metric and its weight within it.
func classOf(metric string) (string, float64) {
	for name, c := range classes {
		if w, ok := c.of[metric]; ok {
			return name, w
		}
	}
	return "errors", classes["errors"].of[""]
}

// judge gives every finding its verdict at look lk: fail when significant
// after Holm's correction at this look's share of Alpha and the interval
// reaches the minimum effect; pass when the interval's upper bound is below
// the margin the endpoint can resolve; otherwise inconclusive (keep going).
func judge(ps []pairStat, o Options, lk look) []results.Finding {
	var js []judgement
	for _, name := range namesOf(ps) {
		eff := o.effect(name)
		if eff.Ignore {
			continue
		}
		js = append(js, latency(ps, name, eff, o, lk)...)
		js = append(js, errorFindings(ps, name, o, lk)...)
	}
	decide(js, lk, true)
	out := make([]results.Finding, 0, len(js)+1)
	for _, j := range js {
		out = append(out, j.f)
	}
	if len(ps) > 0 && !ps[0].steps {
		out = append(out, throughput(ps, o))
	}
	return out
}

// decide gives each judgement not yet decided its verdict at look lk: fail
// when significant after Holm's correction (each finding weighted by its
// share of this look's Alpha, see family) and the interval reaches the
// minimum effect; pass when the interval's upper bound is below the margin
// the endpoint can resolve; at the last look, pass what is below the minimum
// effect or shows no evidence; otherwise inconclusive (keep going).
func decide(js []judgement, lk look, classed bool) {
	idx, levels := family(js, lk, classed)
	pv := make([]float64, len(idx))
	for k, i := range idx {
		pv[k] = js[i].f.P
	}
	adj := make([]float64, len(js))
	for i := range adj {
		adj[i] = 1
	}
	for k, p := range holm(pv, levels) {
		adj[idx[k]] = p
	}
	for i := range js {
		j := &js[i]
		if j.f.Verdict != "" {
			continue
		}
		p := adj[i]
		j.f.PAdjusted = p
		switch {
		case p <= lk.fail && j.matters:
			j.f.Verdict = results.GateFail
			j.f.Reason += fmt.Sprintf("; p %.2g after Holm, below this look's %.2g", p, lk.fail)
		case j.passes:
			j.f.Verdict, j.f.Reason = results.GatePass, j.passText
		case lk.last && (j.small || j.f.P > noEvidence):
			// The budget is spent, and the estimate is below the minimum
			// effect or shows no evidence of a regression at all: pass,
			// saying how much the data rule out.
			j.f.Verdict, j.f.Reason = results.GatePass, j.endText
		case lk.max > 1:
			j.f.Verdict = results.GateInconclusive
			j.f.Reason = fmt.Sprintf("undecided after %d of at most %d pairs: %s", lk.pairs, lk.max, j.f.Reason)
		default:
			j.f.Verdict = results.GateInconclusive
		}
	}
}

// family lists the judgements tested at this look and each one's share of
// the look's Alpha (summing to 1): by class when classed, else equal. A
// finding whose smallest possible p-value (pMin, from the error counts'
// margins alone) is above its level leaves the family, which raises the
// others' levels; that repeats until none leaves. Which leave depends only on
// the margins, so the error rate holds (Tarone's rule for discrete tests).
func family(js []judgement, lk look, classed bool) (idx []int, levels []float64) {
	class := func(i int) (string, float64, float64) {
		if !classed {
			return "", 1, 1
		}
		c, w := classOf(js[i].f.Metric)
		return c, w, classes[c].share
	}
	for i := range js {
		if js[i].f.Verdict == "" {
			idx = append(idx, i)
		}
	}
	for {
		sums, shares := map[string]float64{}, map[string]float64{}
		var total float64
		for _, i := range idx {
			c, w, share := class(i)
			if sums[c] == 0 {
				shares[c] = share
				total += share
			}
			sums[c] += w
		}
		var keep []int
		levels = levels[:0]
		for _, i := range idx {
			c, w, _ := class(i)
			if l := shares[c] / total * w / sums[c]; js[i].pMin <= lk.fail*l {
				keep, levels = append(keep, i), append(levels, l)
			}
		}
		if len(keep) == len(idx) {
			return idx, levels
		}
		idx = keep
	}
}

func namesOf(ps []pairStat) []string {
	var names []string
	for _, p := range ps {
		for _, m := range []map[string]blockStat{p.base, p.cand} {
			for n := range m {
				if !slices.Contains(names, n) {
					names = append(names, n)
				}
			}
		}
	}
	slices.Sort(names)
	return names
}

// latency judges the shift of the whole distribution (mean log latency) and
// each tail quantile with enough requests per block, each as the mean over
// block pairs of the log-ratio candidate/baseline, so drift shared within a
// pair cancels.
func latency(ps []pairStat, name string, eff Effect, o Options, lk look) []judgement {
	var out []judgement
	var shift, base []float64
	tail := make([][]float64, len(tails))
	tailBase := make([][]float64, len(tails))
	for _, p := range ps {
		b, okb := p.base[name]
		c, okc := p.cand[name]
		if !okb || !okc || b.n == 0 || c.n == 0 {
			continue
		}
		shift, base = append(shift, c.meanLog-b.meanLog), append(base, b.meanLog)
		for i := range tails {
			if !math.IsNaN(b.tail[i]) && !math.IsNaN(c.tail[i]) {
				tail[i], tailBase[i] = append(tail[i], c.tail[i]-b.tail[i]), append(tailBase[i], b.tail[i])
			}
		}
	}
	// The minimum time delta is judged at the baseline's p95 (or, with too
	// few requests for one, at its geometric mean).
	ref := math.Exp(mean(base))
	if len(tailBase[0]) > 0 {
		ref = math.Exp(mean(tailBase[0]))
	}
	n := int64(len(shift))
	f := results.Finding{Endpoint: name, Metric: "latency shift", P: 1, PAdjusted: 1, NBase: n, NCand: n}
	if len(shift) < o.MinPairs {
		f.Verdict = results.GateInsufficient
		f.Reason = fmt.Sprintf("%d block pairs with requests on both sides; %d needed", len(shift), o.MinPairs)
		return []judgement{{f: f}}
	}
	out = append(out, ratioJudgement(f, shift, base, ref, eff, lk))
	for i, t := range tails {
		// A tail is judged only when nearly every pair has enough requests
		// for it; otherwise the shift speaks for the endpoint.
		if len(tail[i]) < o.MinPairs || len(tail[i]) < len(shift)*4/5 {
			continue
		}
		tf := f
		tf.Metric = t.metric
		tref := math.Exp(mean(tailBase[i]))
		out = append(out, ratioJudgement(tf, tail[i], tailBase[i], tref, eff, lk))
	}
	return out
}

// ratioJudgement tests the mean of per-pair log-ratios d with a one-sided t
// test, and bounds it with an interval at this look's share of the
// confidence. ref is the baseline's value in µs that MinDelta applies to.
func ratioJudgement(f results.Finding, d, base []float64, ref float64, eff Effect, lk look) judgement {
	k := float64(len(d))
	m, sd := meanSD(d)
	se := sd / math.Sqrt(k)
	switch {
	case se == 0 && m > 0:
		f.P = 0
	case se == 0:
		f.P = 1
	default:
		f.P = tSurvival(m/se, k-1)
	}
	half := tQuantile(1-lk.ci, k-1) * se
	f.Ratio, f.Lower, f.Upper = math.Exp(m), math.Exp(m-half), math.Exp(m+half)
	f.Baseline = results.Short(time.Duration(math.Exp(mean(base)) * float64(time.Microsecond)))
	f.Candidate = results.Short(time.Duration(math.Exp(mean(base)+m) * float64(time.Microsecond)))
	if f.Metric == "latency shift" {
		f.Baseline, f.Candidate = "gm "+f.Baseline, "gm "+f.Candidate
	}
	// The smallest regression that matters, as a log-ratio: both the
	// relative effect and the time delta at the reference value.
	margin := math.Max(math.Log1p(eff.MinEffect), math.Log1p(float64(eff.MinDelta.Microseconds())/ref))
	// The margin the endpoint can resolve by the end of the budget, from the
	// noise seen so far.
	end := sd / math.Sqrt(float64(lk.max)) * (tQuantile(1-lk.ciLast, float64(lk.max)-1) + zPlan)
	resolve := math.Max(margin, end)
	up := math.Log(f.Upper)
	f.Reason = fmt.Sprintf("%s went from %s to %s: %s (95%% interval %s…%s)", f.Metric, f.Baseline, f.Candidate, pct(f.Ratio), pct(f.Lower), pct(f.Upper))
	j := judgement{f: f, matters: up >= margin, passes: up < resolve, small: m < margin,
		endText: fmt.Sprintf("no regression of %s or more; could not resolve the minimum effect within the budget", pct(f.Upper))}
	j.passText = fmt.Sprintf("no regression of %s or more (upper bound %s)", pct(math.Exp(resolve)), pct(f.Upper))
	if resolve > margin {
		j.passText += fmt.Sprintf("; could not resolve %s within the budget", pct(math.Exp(margin)))
	}
	return j
}

// errorFindings judges the endpoint's error rate, and each error kind when
// it has several, by Fisher's exact test, with Newcombe's interval for the
// difference of rates, which holds at zero counts too.
func errorFindings(ps []pairStat, name string, o Options, lk look) []judgement {
	var bf, bn, cf, cn int64
	bk, ck := map[string]int64{}, map[string]int64{}
	for _, p := range ps {
		b, c := p.base[name], p.cand[name]
		bf, bn, cf, cn = bf+b.errors, bn+b.requests, cf+c.errors, cn+c.requests
		for k, v := range b.kinds {
			bk[k] += v
		}
		for k, v := range c.kinds {
			ck[k] += v
		}
	}
	f := results.Finding{Endpoint: name, Metric: "errors", P: 1, PAdjusted: 1, NBase: bn, NCand: cn}
	if bn == 0 || cn == 0 {
		f.Verdict, f.Reason = results.GateInsufficient, "no requests on one side"
		return []judgement{{f: f}}
	}
	scale := float64(lk.max) / float64(max(lk.pairs, 1))
	out := []judgement{rateJudgement(f, bf, bn, cf, cn, scale, o, lk)}
	kinds := make([]string, 0, len(bk)+len(ck))
	for k := range bk {
		kinds = append(kinds, k)
	}
	for k := range ck {
		if !slices.Contains(kinds, k) {
			kinds = append(kinds, k)
		}
	}
	if len(kinds) < 2 {
		return out // the rate already says it all
	}
	slices.Sort(kinds)
	for _, k := range kinds {
		kf := f
		kf.Metric = "error kind " + k
		out = append(out, rateJudgement(kf, bk[k], bn, ck[k], cn, scale, o, lk))
	}
	return out
}

// rateJudgement compares two failure counts. scale is how many times the
// requests seen so far the budget would gather, to plan the margin.
func rateJudgement(f results.Finding, bf, bn, cf, cn int64, scale float64, o Options, lk look) judgement {
	br, cr := float64(bf)/float64(bn), float64(cf)/float64(cn)
	f.Baseline, f.Candidate = fmt.Sprintf("%.2f%%", br*100), fmt.Sprintf("%.2f%%", cr*100)
	if br > 0 {
		f.Ratio = cr / br
	}
	f.P = fisherGreater(bf, bn-bf, cf, cn-cf)
	z := normalQuantile(1 - lk.ci)
	lo, up := newcombe(bf, bn, cf, cn, z)
	margin := math.Max(o.MinErrorPoints, o.MinErrorRel*br)
	// With no change, both sides at the baseline's rate (at least one
	// error seen) with the budget's requests: the upper bound the end would
	// likely stay under.
	p0 := math.Max(br, 1/float64(bn))
	nb, nc := float64(bn)*scale, float64(cn)*scale
	_, endUp := newcombe(int64(math.Round(p0*nb)), int64(nb), int64(math.Round(p0*nc)), int64(nc), normalQuantile(1-lk.ciLast))
	endUp += zPlan * math.Sqrt(p0*(1-p0)*(1/nb+1/nc))
	resolve := math.Max(margin, endUp)
	// A handful of extra errors is small whatever the rate: tiny counts
	// never make a finding inconclusive.
	excess := float64(cf) - float64(bf)*float64(cn)/float64(bn)
	j := judgement{f: f, matters: up >= margin, passes: up < resolve, small: cr-br < margin || excess < minExcess,
		endText: fmt.Sprintf("no increase of %.2f points or more; could not resolve the minimum effect within the budget", up*100), pMin: fisherGreater(0, bn, bf+cf, cn-min(cn, bf+cf))}
	j.f.Reason = fmt.Sprintf("%s went from %s to %s (%+.2f points, 95%% interval %+.2f…%+.2f)", f.Metric, f.Baseline, f.Candidate,
		(cr-br)*100, lo*100, up*100)
	j.passText = fmt.Sprintf("no increase of %.2f points or more (upper bound %+.2f)", resolve*100, up*100)
	if resolve > margin {
		j.passText += fmt.Sprintf("; could not resolve %.2f points within the budget", margin*100)
	}
	return j
}

// throughput fails when the candidate could not take the offered load (its
// requests or journey arrivals were not all sent: held at the in-flight
// bound, dropped at max_users) and the baseline could. What was sent and
// failed is the errors finding's.
func throughput(ps []pairStat, o Options) results.Finding {
	f := results.Finding{Endpoint: "overall", Metric: "throughput", P: 1, PAdjusted: 1, Verdict: results.GatePass}
	var bs, bp, cs, cp int64
	for _, p := range ps {
		bs, bp, cs, cp = bs+p.baseTaken, bp+p.basePlanned, cs+p.candTaken, cp+p.candPlanned
	}
	if bp == 0 || cp == 0 {
		f.Verdict, f.Reason = results.GateInsufficient, "nothing was planned"
		return f
	}
	br, cr := float64(bs)/float64(bp), float64(cs)/float64(cp)
	f.Baseline, f.Candidate, f.NBase, f.NCand = fmt.Sprintf("%.1f%% of offered", br*100), fmt.Sprintf("%.1f%% of offered", cr*100), bp, cp
	switch {
	case cr >= o.Throughput:
		f.Reason = fmt.Sprintf("the candidate took at least %.0f%% of the offered load", o.Throughput*100)
	case br < o.Throughput:
		f.Verdict, f.Reason = results.GateInconclusive, "neither side took the offered load: the generator or the environment is the limit"
	default:
		f.Verdict, f.Reason = results.GateFail, fmt.Sprintf("the candidate took %.1f%% of the offered load, the baseline %.1f%%", cr*100, br*100)
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
	case has(results.GateInsufficient) || len(fs) == 0:
		return results.GateInsufficient
	}
	return results.GatePass
}

func mean(xs []float64) float64 { m, _ := meanSD(xs); return m }

// pct writes a ratio as a signed percentage: 1.052 → "+5.2%".
func pct(r float64) string {
	d := (r - 1) * 100
	if math.Abs(d) >= 10 {
		return fmt.Sprintf("%+.0f%%", d)
	}
	return fmt.Sprintf("%+.1f%%", d)
}
