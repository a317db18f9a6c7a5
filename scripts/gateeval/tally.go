package main

import (
	"context"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/probe-dev/probe/gate"
	"github.com/probe-dev/probe/results"
)

// row is what the gates of one case came to.
type row struct {
	c                         evalCase
	gates, pass, fail, inconc int
	insufficient, named       int
	covered, intervals        int
	took                      []time.Duration // load spent, both builds
	pairs                     []int
}

// add counts one gate's outcome.
func (r *row) add(g *results.Gate) {
	r.gates++
	switch g.Verdict {
	case results.GatePass:
		r.pass++
	case results.GateFail:
		r.fail++
		if r.c.named != "" && slices.ContainsFunc(g.Findings, func(f results.Finding) bool {
			return f.Verdict == results.GateFail && f.Endpoint == r.c.named
		}) {
			r.named++
		}
	case results.GateInconclusive:
		r.inconc++
	default:
		r.insufficient++
	}
	r.took = append(r.took, g.LoadSpent)
	r.pairs = append(r.pairs, g.Pairs)
	if r.c.inexact {
		return
	}
	for _, f := range g.Findings {
		if !strings.HasPrefix(f.Metric, "latency") || f.Upper == 0 {
			continue
		}
		truth := 1.0
		if f.Endpoint == r.c.named && r.c.truth != nil {
			truth = r.c.truth["*"]
		}
		r.intervals++
		if f.Lower <= truth && truth <= f.Upper {
			r.covered++
		}
	}
}

// met says whether the case reached its goal.
func (r *row) met() bool {
	want := r.pass
	if r.c.want == "fail" {
		want = r.named
	}
	ok := float64(want) >= r.c.goal*float64(r.gates)
	if r.c.maxFail > 0 {
		ok = ok && float64(r.fail) <= r.c.maxFail*float64(r.gates)
	}
	return ok
}

func simulate(ctx context.Context, cs []evalCase, n int) []*row {
	var rows []*row
	for ci, c := range cs {
		r := &row{c: c}
		var mu sync.Mutex
		var wg sync.WaitGroup
		jobs := make(chan int)
		for range runtime.GOMAXPROCS(0) {
			wg.Go(func() {
				for i := range jobs {
					sr := newSimRunner(c, uint64(ci)<<32|uint64(i))
					g, err := gate.Run(ctx, sr, gate.Design{Rand: sr.rng, RarestRate: sr.rarestRate()}, gate.Options{})
					if err != nil {
						continue
					}
					mu.Lock()
					r.add(g)
					mu.Unlock()
				}
			})
		}
		for i := range n {
			if ctx.Err() != nil {
				break
			}
			jobs <- i
		}
		close(jobs)
		wg.Wait()
		rows = append(rows, r)
	}
	return rows
}

func printTable(rows []*row) {
	fmt.Printf("%-44s %6s %6s %6s %6s %6s %6s %8s %6s %9s %7s\n", "CASE", "GATES", "PASS", "FAIL", "UNDEC", "NAMED", "GOAL", "COVERAGE", "MET", "MED LOAD", "PAIRS")
	for _, r := range rows {
		cov := "-"
		if r.intervals > 0 {
			cov = fmt.Sprintf("%.1f%%", 100*float64(r.covered)/float64(r.intervals))
		}
		goal := fmt.Sprintf("%s≥%.0f%%", r.c.want, r.c.goal*100)
		met := "yes"
		if !r.met() {
			met = "NO"
		}
		fmt.Printf("%-44s %6d %6s %6s %6s %6s %6s %8s %6s %9s %7d\n", r.c.name, r.gates, share(r.pass, r.gates), share(r.fail, r.gates),
			share(r.inconc+r.insufficient, r.gates), share(r.named, r.gates), goal, cov, met, median(r.took).Round(time.Second), medianInt(r.pairs))
	}
}

func share(k, n int) string {
	if n == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f%%", 100*float64(k)/float64(n))
}

func median(xs []time.Duration) time.Duration {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

func medianInt(xs []int) int {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}
