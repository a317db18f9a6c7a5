// Command queuetail computes how much the tail latency of a request served
// by CPUs grows from 20% to 80% of their capacity when nothing but queueing
// adds to it: Poisson arrivals into c identical servers, first come first
// served, for three shapes of service time. It is the yardstick for #17's
// "p99 at 80% of the maximum within 2× of the p99 at 20%": on a machine
// whose cores both the generator and the target use, the maximum is where
// those cores run out, and even a generator that cost nothing would see the
// ratio printed here.
//
//	go run ./scripts/queuetail [-low 0.2] [-high 0.8] [-n 400000] [-seed 1]
package main

import (
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"text/tabwriter"
)

// service draws one service time; each shape has a mean of 1.
type service struct {
	name string
	draw func(*rand.Rand) float64
}

var shapes = []service{
	{"exponential", func(r *rand.Rand) float64 { return r.ExpFloat64() }},
	{"fixed", func(*rand.Rand) float64 { return 1 }},
	// sigma 0.5, mu -sigma²/2 so that the mean is 1
	{"lognormal σ=0.5", func(r *rand.Rand) float64 { return math.Exp(-0.125 + 0.5*r.NormFloat64()) }},
}

// p99 is the 99th percentile of the time in system (wait and service) of n
// requests at utilisation rho on c servers.
func p99(rho float64, c, n int, s service, seed uint64) float64 {
	r := rand.New(rand.NewPCG(seed, 17))
	lambda := rho * float64(c)
	free := make([]float64, c) // when each server is next free
	times := make([]float64, n)
	now := 0.0
	for i := range times {
		now += r.ExpFloat64() / lambda
		k := slices.Index(free, slices.Min(free))
		start := max(now, free[k])
		free[k] = start + s.draw(r)
		times[i] = free[k] - now
	}
	slices.Sort(times)
	return times[n*99/100]
}

func main() {
	n := flag.Int("n", 400000, "requests simulated per figure")
	seed := flag.Uint64("seed", 1, "random seed")
	low := flag.Float64("low", 0.2, "the lower utilisation, above 0")
	high := flag.Float64("high", 0.8, "the higher utilisation, below 1")
	flag.Parse()
	if *n < 1000 {
		fmt.Fprintln(os.Stderr, "queuetail: -n must be at least 1000")
		os.Exit(2)
	}
	if !(0 < *low && *low < *high && *high < 1) {
		fmt.Fprintln(os.Stderr, "queuetail: need 0 < -low < -high < 1")
		os.Exit(2)
	}
	w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(w, "service\tservers\tp99 at %.0f%%\tp99 at %.0f%%\tratio\t\n", 100**low, 100**high)
	for _, s := range shapes {
		for _, c := range []int{1, 2} {
			lo, hi := p99(*low, c, *n, s, *seed), p99(*high, c, *n, s, *seed)
			fmt.Fprintf(w, "%s\t%d\t%.2f\t%.2f\t%.2f\t\n", s.name, c, lo, hi, hi/lo)
		}
	}
	w.Flush()
	fmt.Println("(times in mean service times)")
}
