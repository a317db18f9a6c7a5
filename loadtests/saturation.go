package loadtests

import (
	"context"
	"runtime/metrics"
	"sync/atomic"
	"time"
)

// saturation watches the generator's own CPU through the Go scheduler: how
// long runnable goroutines wait for a processor (runtime/metrics
// /sched/latencies:seconds). When the 99th percentile of that wait, over a
// window, stays above schedLagMax for two windows in a row, probe has no CPU
// to spare: the pacer then drops overdue sends instead of handing vegeta a
// tick that would start one more worker and make it worse. A busy shared
// machine shows here too, and rightly: the generator lacks CPU either way.
// A test started on one processor (procs.go) is first widened to all, when
// the wait passes widenLag for two windows in a row: that wait was for the
// one processor, not for CPU.
type saturation struct {
	on    atomic.Bool
	warm  atomic.Bool // the last window alone was over the limit
	hot   int         // windows in a row over the limit (> 0) or under it (< 0)
	waits int         // windows in a row over widenLag
	last  []uint64
	done  chan struct{}
	stop  context.CancelFunc
	probe []metrics.Sample
	procs *procs // widened when goroutines wait for the one processor
	// onWiden is told when it was, from the watch's goroutine.
	onWiden func()
}

const (
	schedWindow = 100 * time.Millisecond
	// A generator with CPU to spare keeps it under half a millisecond
	// (measured: 0.1-0.5 ms at 2,000/s on 2 cores); one short of CPU, at
	// 25-250 ms from its first window.
	schedLagMax = 5 * time.Millisecond
	// widenLag is the wait that widens a generator started on one
	// processor (procs.go) to all of them.
	widenLag = time.Millisecond
)

// watchSaturation starts watching; close ends it and waits for its goroutine.
func watchSaturation(ctx context.Context, pr *procs, onWiden func()) *saturation {
	ctx, cancel := context.WithCancel(ctx)
	s := &saturation{done: make(chan struct{}), stop: cancel, procs: pr, onWiden: onWiden,
		probe: []metrics.Sample{{Name: "/sched/latencies:seconds"}}}
	// The baseline now, so that the first window is judged at its end: the
	// pacer lets workers start until then.
	s.look()
	go func() {
		defer close(s.done)
		t := time.NewTicker(schedWindow)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				s.look()
			}
		}
	}()
	return s
}

func (s *saturation) close() {
	s.stop()
	<-s.done
}

// look reads the scheduler's latencies since the last look.
func (s *saturation) look() {
	metrics.Read(s.probe)
	if s.probe[0].Value.Kind() != metrics.KindFloat64Histogram {
		return // a runtime without the metric: never saturated by this rule
	}
	h := s.probe[0].Value.Float64Histogram()
	if s.last == nil {
		s.last = append([]uint64(nil), h.Counts...)
		return
	}
	var total uint64
	delta := make([]uint64, len(h.Counts))
	for i, c := range h.Counts {
		delta[i] = c - s.last[i]
		total += delta[i]
	}
	copy(s.last, h.Counts)
	lag := 0.0 // the window's 99th percentile, by its bucket's lower bound
	if total > 0 {
		want, seen := total-total/100, uint64(0)
		for i, c := range delta {
			seen += c
			if seen >= want {
				lag = h.Buckets[i]
				break
			}
		}
	}
	if lag > widenLag.Seconds() {
		s.waits++
	} else {
		s.waits = 0
	}
	// Two windows in a row, so that one pause of a busy machine does not
	// widen a test that fits one processor.
	if s.waits >= 2 && s.procs.widen() {
		s.onWiden()
		// The wait was for the one processor the test started on: not a
		// lack of CPU. Judge afresh from the next window.
		s.hot = 0
		s.warm.Store(false)
		return
	}
	hot := lag > schedLagMax.Seconds()
	// Hysteresis: on after two hot windows in a row, off only after ten cool
	// ones, so that the ticks a cool moment lets through do not start the
	// workers the next hot one cannot feed.
	switch {
	case hot:
		s.hot = max(s.hot, 0) + 1
	default:
		s.hot = min(s.hot, 0) - 1
	}
	s.warm.Store(hot)
	if s.hot >= 2 {
		s.on.Store(true)
	} else if s.hot <= -10 {
		s.on.Store(false)
	}
}

// mayGrow reports whether the generator has CPU for another worker: not
// saturated, and the last window not over the limit either.
func (s *saturation) mayGrow() bool { return s == nil || (!s.on.Load() && !s.warm.Load()) }
