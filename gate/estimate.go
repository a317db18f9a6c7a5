package gate

import (
	"math"

	"github.com/probe-dev/probe/results"
)

// tails are the quantiles the gate judges beside the shift of the whole
// distribution, each with the requests a block needs on both sides before its
// quantile is estimated at all.
var tails = []struct {
	metric string
	q      float64
	min    int64
}{
	{"latency p95", 0.95, 20},
	{"latency p99", 0.99, 100},
}

// blockStat is what the gate keeps of one endpoint in one block: enough to
// judge it, computed once when the block arrives.
type blockStat struct {
	n        int64     // latencies recorded
	meanLog  float64   // mean of log latency (µs): the shift of the whole distribution
	tail     []float64 // log of the Harrell–Davis estimate of each of tails; NaN when too few
	requests int64
	errors   int64
	kinds    map[string]int64
}

type bar struct {
	us float64
	n  int64
}

func statOf(e *results.Endpoint) blockStat {
	s := blockStat{n: e.Latency.Count(), requests: e.Requests, errors: e.Errors, kinds: e.ErrorKinds, tail: make([]float64, len(tails))}
	var bars []bar
	var sum float64
	e.Latency.Each(func(us float64, n int64) {
		bars = append(bars, bar{us, n})
		sum += float64(n) * math.Log(us)
	})
	if s.n > 0 {
		s.meanLog = sum / float64(s.n)
	}
	for i, t := range tails {
		s.tail[i] = math.NaN()
		if s.n >= t.min {
			s.tail[i] = math.Log(harrellDavis(bars, s.n, t.q))
		}
	}
	return s
}

// harrellDavis estimates quantile q as a weighted mean of every order
// statistic, weighted by a Beta((n+1)q, (n+1)(1-q)) distribution (Harrell &
// Davis, Biometrika 1982): smoother and less noisy than one nearest rank,
// which matters at the hundred-odd requests of a block. Only the ranks within
// a dozen standard deviations of q carry weight, so only those are summed.
func harrellDavis(bars []bar, n int64, q float64) float64 {
	nf := float64(n)
	a, b := (nf+1)*q, (nf+1)*(1-q)
	sd := math.Sqrt(q * (1 - q) / (nf + 2))
	lo, hi := q-12*sd, q+12*sd
	var cum int64
	var sum, wsum float64
	prev := math.NaN()
	for _, br := range bars {
		r0 := float64(cum) / nf
		cum += br.n
		r1 := float64(cum) / nf
		if r1 <= lo {
			continue
		}
		if r0 >= hi {
			break
		}
		i0 := prev
		if math.IsNaN(i0) {
			i0 = regIncBeta(a, b, r0)
		}
		i1 := regIncBeta(a, b, r1)
		prev = i1
		w := i1 - i0
		sum += w * br.us
		wsum += w
	}
	if wsum <= 0 {
		return bars[len(bars)-1].us
	}
	return sum / wsum
}

// pairStat is one block pair, reduced to its statistics.
type pairStat struct {
	base, cand map[string]blockStat
	// planned and sent are for the throughput finding (load tests only).
	basePlanned, baseTaken, candPlanned, candTaken int64
	steps                                          bool
}

func statsOf(p Pair) pairStat {
	ps := pairStat{base: map[string]blockStat{}, cand: map[string]blockStat{}, steps: p.Baseline.Kind == results.KindScenario}
	for _, side := range []struct {
		s *results.Summary
		m map[string]blockStat
	}{{p.Baseline, ps.base}, {p.Candidate, ps.cand}} {
		for i := range side.s.Endpoints {
			side.m[side.s.Endpoints[i].Name] = statOf(&side.s.Endpoints[i])
		}
	}
	// Taken, not served: a request that failed was taken and is judged by
	// the errors finding; counting it here too failed identical builds
	// with 3% background errors whenever one side fell under the bar.
	ps.basePlanned, ps.baseTaken = p.Baseline.Planned, p.Baseline.Arrived()
	ps.candPlanned, ps.candTaken = p.Candidate.Planned, p.Candidate.Arrived()
	return ps
}
