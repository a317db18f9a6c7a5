package drill

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/probe-dev/probe/results"
)

// StepRunner holds the load at rate (per second) for d and returns what it
// measured; the command runs the suite's load test at a constant rate.
type StepRunner func(ctx context.Context, rate float64, d time.Duration) (*results.Summary, error)

// MinStepRequests is the fewest requests the first step may plan: fewer
// measure neither an achieved rate nor a p95.
const MinStepRequests = 10

// ErrStepTooShort is a first step planned below MinStepRequests.
var ErrStepTooShort = fmt.Errorf("a step needs at least %d requests to measure: hold each step longer or start higher", MinStepRequests)

// Config says how to step.
type Config struct {
	Start        float64       // first rate per second
	Step         float64       // added per step, or
	Factor       float64       // multiplied per step (when Step is 0)
	Max          float64       // never above this
	StepDuration time.Duration // how long each step holds
	SLOP95       time.Duration // p95 must stay at or under this
	SLOErrors    float64       // error rate must stay at or under this
	ErrorCeiling float64       // stop at once above this error rate (0.2)
	Refine       int           // steps between the last good and the first bad rate (2)
	Expect       float64       // pass when the highest good rate reaches this
}

// Validate says what is wrong with a configuration, naming the setting.
func (c Config) Validate() error {
	for _, v := range []float64{c.Start, c.Step, c.Factor, c.Max, c.SLOErrors, c.Expect} {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return errors.New("every rate and factor must be a finite number")
		}
	}
	switch {
	case c.Start <= 0:
		return errors.New("the start rate must be above 0")
	case c.Step > 0 && c.Factor != 0:
		return errors.New("give a step or a factor, not both")
	case c.Step <= 0 && c.Factor <= 1:
		return errors.New("need a step above 0/s or a factor above 1")
	case c.Max > 0 && c.Max < c.Start:
		return fmt.Errorf("the max rate %.4g/s is below the start rate %.4g/s", c.Max, c.Start)
	case c.StepDuration <= 0:
		return errors.New("the step duration must be above 0")
	case c.Start*c.StepDuration.Seconds() < MinStepRequests:
		// A step of 1ms at 50/s sent one request, measured 0/s achieved,
		// and the drill blamed the target.
		return fmt.Errorf("a step of %s at %.4g/s sends %d requests; %w",
			c.StepDuration, c.Start, int(c.Start*c.StepDuration.Seconds()), ErrStepTooShort)
	case c.SLOP95 < 0 || c.SLOErrors < 0 || c.SLOErrors > 1:
		return errors.New("the SLO needs a p95 of at least 0 and an error rate from 0% to 100%")
	case c.Expect < 0:
		return errors.New("the expected rate must not be negative")
	}
	return nil
}

// Run steps the rate up until the SLO breaks, refines between the last good
// and the first bad rate, and fits the Universal Scalability Law.
func Run(ctx context.Context, cfg Config, run StepRunner) (*results.Drill, error) {
	cfg.ErrorCeiling = cmp.Or(cfg.ErrorCeiling, 0.2)
	cfg.Refine = cmp.Or(cfg.Refine, 2)
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("drill: %w", err)
	}
	d := &results.Drill{SLOP95: cfg.SLOP95, SLOErrors: cfg.SLOErrors, Expect: cfg.Expect}
	var lastGood, firstBad float64
	var firstBadSum *results.Summary
	for rate := cfg.Start; ; rate = next(cfg, rate) {
		if cfg.Max > 0 && rate > cfg.Max {
			d.Limit = results.LimitMax
			break
		}
		st, sum, err := step(ctx, cfg, run, rate, false)
		if err != nil {
			return nil, err
		}
		d.LoadTest, d.Env = sum.LoadTest, sum.Env
		d.Steps = append(d.Steps, st)
		if ctx.Err() != nil {
			d.Limit = results.LimitInterrupted
			break
		}
		if st.OK {
			lastGood = rate
			continue
		}
		firstBad, firstBadSum = rate, sum
		d.Limit = st.Cause
		break
	}
	// Refine between the last good and the first bad step.
	if firstBad > 0 && d.Limit == results.LimitTarget && lastGood > 0 {
		lo, hi := lastGood, firstBad
		for range cfg.Refine {
			mid := (lo + hi) / 2
			st, _, err := step(ctx, cfg, run, mid, true)
			if err != nil {
				return nil, err
			}
			d.Steps = append(d.Steps, st)
			if st.OK {
				lo = mid
			} else {
				hi = mid
			}
		}
		lastGood = lo
	}
	d.HighestGood = lastGood
	if firstBadSum != nil && d.Limit == results.LimitTarget {
		d.Bottleneck, d.BottleneckWhy = bottleneck(firstBadSum, cfg)
	}
	d.Knee = knee(d.Steps)
	d.USL = fitUSL(d.Steps)
	if cfg.Expect > 0 {
		d.Headroom = d.HighestGood / cfg.Expect
	}
	// No rate held at all is a failure even without an expectation.
	d.Passed = d.Limit != results.LimitGenerator && d.HighestGood > 0 && (cfg.Expect == 0 || d.HighestGood >= cfg.Expect)
	return d, nil
}

func next(cfg Config, rate float64) float64 {
	if cfg.Step > 0 {
		return rate + cfg.Step
	}
	return rate * cfg.Factor
}

func step(ctx context.Context, cfg Config, run StepRunner, rate float64, refining bool) (results.DrillStep, *results.Summary, error) {
	sum, err := run(ctx, rate, cfg.StepDuration)
	if err != nil {
		return results.DrillStep{}, nil, err
	}
	o := sum.Overall
	st := results.DrillStep{Rate: rate, Achieved: sum.AchievedRate(), Throughput: sum.Throughput(),
		P50: o.Latency.Quantile(0.5), P95: o.Latency.Quantile(0.95), P99: o.Latency.Quantile(0.99),
		ErrorRate: o.ErrorRate(), Refining: refining}
	st.Concurrency = st.Throughput * o.Latency.Mean().Seconds()
	if due := sum.Sent + sum.Dropped; due > 0 {
		st.Late = float64(sum.Late+sum.Dropped) / float64(due)
	}
	offered := fmt.Sprintf("achieved %.1f/s of %.1f/s offered", st.Achieved, rate)
	if len(sum.Journeys) > 0 && sum.Planned > 0 {
		// The rate is of arrivals; the requests sent are the journeys'
		// steps, so what was achieved is the share of arrivals that started.
		st.Achieved = sum.ArrivalRate(rate)
		offered = fmt.Sprintf("%d of %d arrivals started", sum.Arrived(), sum.Planned)
		if n := sum.JourneysDropped(); n > 0 {
			offered += fmt.Sprintf(", %d dropped at max_users (journeys in flight piled up)", n)
		}
	}
	st.OK = true
	switch {
	case st.ErrorRate > cfg.ErrorCeiling:
		st.OK, st.Cause, st.Why = false, results.LimitErrors, fmt.Sprintf("errors %.1f%% above the hard ceiling %.0f%%", st.ErrorRate*100, cfg.ErrorCeiling*100)
	case sum.Generator != nil:
		// Whatever p95 says: a generator that falls behind inflates it too.
		st.OK, st.Cause, st.Why = false, results.LimitGenerator, fmt.Sprintf("generator limit: %d requests sent late and %d dropped of %d due; the target's limit is not known",
			sum.Generator.Late, sum.Generator.Dropped, sum.Sent+sum.Dropped)
	case cfg.SLOP95 > 0 && st.P95 > cfg.SLOP95:
		st.OK, st.Cause, st.Why = false, results.LimitTarget, fmt.Sprintf("p95 %s above the SLO %s", results.Short(st.P95), cfg.SLOP95)
	case st.ErrorRate > cfg.SLOErrors:
		st.OK, st.Cause, st.Why = false, results.LimitTarget, fmt.Sprintf("errors %.2f%% above the SLO %.2f%%", st.ErrorRate*100, cfg.SLOErrors*100)
	case st.Achieved < 0.95*rate:
		st.OK, st.Cause, st.Why = false, results.LimitTarget, offered
	}
	return st, sum, nil
}

// bottleneck names the endpoint furthest over the SLO at the first bad
// step, by its p95 or its error rate against the SLO's, and says which and
// by how much. When none is over (the step broke on the rate it achieved),
// it names the slowest, and says so: the one holding requests longest.
func bottleneck(s *results.Summary, cfg Config) (name, why string) {
	worst := 0.0
	var slowest string
	var top time.Duration // its p95
	for _, e := range s.Endpoints {
		p95 := e.Latency.Quantile(0.95)
		if e.Requests > 0 && p95 > top {
			slowest, top = e.Name, p95
		}
		if cfg.SLOP95 > 0 {
			if score := float64(p95) / float64(cfg.SLOP95); score > 1 && score > worst {
				name, worst = e.Name, score
				why = fmt.Sprintf("its p95 %s against the SLO %s", results.Short(p95), cfg.SLOP95)
			}
		}
		if er := e.ErrorRate(); er > cfg.SLOErrors {
			// An SLO of no errors: any error is infinitely over it.
			if score := er / math.Max(cfg.SLOErrors, 1e-9); score > worst {
				name, worst = e.Name, score
				why = fmt.Sprintf("its errors %.2f%% against the SLO %.2f%%", er*100, cfg.SLOErrors*100)
			}
		}
	}
	if name == "" && slowest != "" {
		return slowest, "none broke the SLO; the slowest, p95 " + results.Short(top)
	}
	return name, why
}

// knee is the highest good rate whose p95 stays within 1.5× the p95 of the
// lowest rate: past it, latency climbs faster than load.
func knee(steps []results.DrillStep) float64 {
	if len(steps) == 0 {
		return 0
	}
	base := steps[0].P95
	var k float64
	for _, st := range steps {
		if st.OK && float64(st.P95) <= 1.5*float64(base) && st.Rate > k {
			k = st.Rate
		}
	}
	return k
}

// fitUSL fits X(N) = λN / (1 + σ(N−1) + κN(N−1)) by least squares on the
// linear form N/X = a + b(N−1) + cN(N−1), with λ = 1/a, σ = b/a, κ = c/a.
func fitUSL(steps []results.DrillStep) *results.USL {
	var ns, xs []float64
	for _, st := range steps {
		if st.Throughput > 0 && st.Concurrency > 0 {
			ns, xs = append(ns, st.Concurrency), append(xs, st.Throughput)
		}
	}
	if len(ns) < 3 {
		return nil
	}
	// Normal equations for y = a·1 + b·u + c·v.
	var m [3][4]float64
	for i := range ns {
		n := ns[i]
		row := [3]float64{1, n - 1, n * (n - 1)}
		y := n / xs[i]
		for r := range 3 {
			for c := range 3 {
				m[r][c] += row[r] * row[c]
			}
			m[r][3] += row[r] * y
		}
	}
	sol, ok := solve3(m)
	if !ok || sol[0] <= 0 {
		return nil
	}
	u := &results.USL{Lambda: 1 / sol[0], Sigma: math.Max(sol[1]/sol[0], 0), Kappa: math.Max(sol[2]/sol[0], 0)}
	x := u.Throughput
	switch {
	case u.Kappa > 0:
		u.PeakN = math.Sqrt((1 - u.Sigma) / u.Kappa)
		u.PeakX = x(u.PeakN)
	case u.Sigma > 0:
		// No coherency cost: throughput rises toward λ/σ and stays there
		// (PeakN 0: no finite concurrency peaks).
		u.PeakX = u.Lambda / u.Sigma
	default:
		// Linear scaling in the measured range: no peak to predict.
	}
	var ss float64
	for i := range ns {
		rel := (x(ns[i]) - xs[i]) / xs[i]
		ss += rel * rel
	}
	u.RelErrRMS = math.Sqrt(ss / float64(len(ns)))
	return u
}

// solve3 solves a 3×3 system given as an augmented matrix, by Gaussian
// elimination with partial pivoting.
func solve3(m [3][4]float64) ([3]float64, bool) {
	for c := range 3 {
		p := c
		for r := c + 1; r < 3; r++ {
			if math.Abs(m[r][c]) > math.Abs(m[p][c]) {
				p = r
			}
		}
		if math.Abs(m[p][c]) < 1e-300 {
			return [3]float64{}, false
		}
		m[c], m[p] = m[p], m[c]
		for r := range 3 {
			if r == c {
				continue
			}
			f := m[r][c] / m[c][c]
			for k := c; k < 4; k++ {
				m[r][k] -= f * m[c][k]
			}
		}
	}
	return [3]float64{m[0][3] / m[0][0], m[1][3] / m[1][1], m[2][3] / m[2][2]}, true
}
