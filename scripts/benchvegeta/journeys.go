package main

import (
	"context"
	"fmt"
	"time"
)

// journeyTargets is a two-step journey on the benchmark's route, thinking
// think between its steps.
func journeyTargets(think time.Duration) string {
	return fmt.Sprintf(`[{name: j, think: {fixed: %s}, journey: [{name: one, request: {url: /api/health}}, {name: two, request: {url: /api/health}}]}]`, think)
}

// journeyRows measures journeys against single requests: CPU per request at
// the same request rate, memory with 10,000 journeys in flight over a long
// run against a short one, and the highest journey rate sustained.
func (b bench) journeyRows(ctx context.Context, t *table, rates []int, requestRate int, cpuFor, step, short, long time.Duration) error {
	per := func(m measure) float64 { return float64(m.cpuPer100k()) }
	single, _, err := b.medianOf(func() (measure, error) { return b.probeLoad(ctx, requestRate, cpuFor) }, per)
	if err != nil {
		return err
	}
	j, _, err := b.medianOf(func() (measure, error) {
		return b.probeRun(ctx, journeyTargets(time.Millisecond), 2, time.Millisecond, requestRate/2, cpuFor)
	}, per)
	if err != nil {
		return err
	}
	t.add(fmt.Sprintf("CPU per 100k requests in journeys of 2 steps against single requests, at %d requests/s", requestRate),
		secs(j.cpuPer100k()), secs(single.cpuPer100k())+" (probe, single)", ratio(per(j), per(single)), "≤ 1.3", per(j) <= 1.3*per(single))

	// 1000 arrivals a second thinking 10 s: 10,000 journeys in flight.
	const inFlightRate, think = 1000, 10 * time.Second
	rss := func(m measure) float64 { return float64(m.peakRSS) }
	run := func(d time.Duration) (measure, error) {
		return b.probeRun(ctx, journeyTargets(think), 2, think, inFlightRate, d)
	}
	s, _, err := b.medianOf(func() (measure, error) { return run(short) }, rss)
	if err != nil {
		return err
	}
	l, _, err := b.medianOf(func() (measure, error) { return run(long) }, rss)
	if err != nil {
		return err
	}
	t.add(fmt.Sprintf("probe peak RSS with 10,000 journeys in flight, %s against %s", long, short),
		fmt.Sprintf("%.1f / %.1f MiB", mib(l.peakRSS), mib(s.peakRSS)), "", ratio(rss(l), rss(s)), "≤ 1.05", rss(l) <= 1.05*rss(s))

	// The highest rate of arrivals of two-step journeys held, by the
	// single requests' rule, the search ending at the second miss.
	best, misses := 0, 0
	for _, rate := range rates {
		if misses >= 2 {
			break
		}
		_, ms, err := b.medianOf(func() (measure, error) {
			return b.probeRun(ctx, journeyTargets(time.Millisecond), 2, time.Millisecond, rate, step)
		}, func(m measure) float64 { return m.achieved })
		if err != nil {
			return err
		}
		ok := 0
		for _, m := range ms {
			if m.sustains(rate) {
				ok++
			}
		}
		fmt.Printf("journeys at %d/s: %d of %d runs sustained\n", rate, ok, len(ms))
		if 2*ok > len(ms) {
			best, misses = rate, 0
		} else {
			misses++
		}
	}
	t.add("highest rate of 2-step journeys sustained (arrivals; twice as many requests)", fmt.Sprintf("%d/s", best), "", "", "(measured)", best > 0)
	return nil
}
