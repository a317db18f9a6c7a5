package main

import (
	"context"
	"math"
	"math/rand/v2"
	"time"

	"github.com/probe-dev/probe/demoapp"
	"github.com/probe-dev/probe/gate"
	"github.com/probe-dev/probe/results"
)

// simRunner is a gate.Runner that draws blocks from the evaluation's
// distributions instead of sending requests: the gate's own decision code on
// thousands of gates, without the machine's noise. The machine is modelled by
// a drift shared by everything running at one time (a slow random walk of
// log latency) and a jitter of each block; a CPU hog makes both larger.
type simRunner struct {
	rng           *rand.Rand
	faults        [2]map[string]demoapp.RouteFaults
	drift         float64
	walk, jitter  float64
	eps           [2][]results.Endpoint
	cum           []int
	floor         time.Duration // what loopback and the generator add: 0, so true ratios stay exact
	requestsTotal int64
}

func newSimRunner(c evalCase, seed uint64) *simRunner {
	s := &simRunner{rng: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)), walk: 0.01, jitter: 0.02}
	if c.hog {
		s.walk, s.jitter = 0.03, 0.08
	}
	s.faults = [2]map[string]demoapp.RouteFaults{faultsOf(c, false), faultsOf(c, true)}
	total := 0
	for _, r := range routes {
		total += r.weight
		s.cum = append(s.cum, total)
		for b := range s.eps {
			s.eps[b] = append(s.eps[b], results.NewEndpoint(r.target, "GET", r.path))
		}
	}
	return s
}

var _ gate.Runner = (*simRunner)(nil)

func (s *simRunner) Run(_ context.Context, b gate.Block) (*results.Summary, error) {
	s.drift += s.walk * s.rng.NormFloat64()
	f := math.Exp(s.drift + s.jitter*s.rng.NormFloat64())
	eps := s.eps[b.Build]
	for i := range eps {
		e := &eps[i]
		e.Requests, e.Errors = 0, 0
		clear(e.ErrorKinds)
		e.Latency.Reset()
	}
	n := int64(math.Round(rate * b.Length.Seconds()))
	total := s.cum[len(s.cum)-1]
	sum := &results.Summary{LoadTest: "eight", Env: "eval", Planned: n, Sent: n, Duration: b.Length, SendSpan: b.Length, Endpoints: eps,
		Overall: results.Endpoint{Name: "overall", Requests: n}}
	for range n {
		k := s.rng.IntN(total)
		i := 0
		for s.cum[i] <= k {
			i++
		}
		rf := s.faults[b.Build][routes[i].name]
		e := &eps[i]
		e.Requests++
		e.Latency.Record(time.Duration(float64(rf.Delay(s.rng))*f) + s.floor)
		if rf.ErrorRate > 0 && s.rng.Float64() < rf.ErrorRate {
			e.Errors++
			e.ErrorKinds["http_5xx"]++
			sum.Overall.Errors++
		}
	}
	s.requestsTotal += n
	return sum, nil
}

// rarestRate is what probe gate plans blocks from: the rarest route's share
// of the offered rate.
func (s *simRunner) rarestRate() float64 {
	least := routes[0].weight
	for _, r := range routes {
		least = min(least, r.weight)
	}
	return rate * float64(least) / float64(s.cum[len(s.cum)-1])
}
