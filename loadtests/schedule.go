package loadtests

import (
	"math"
	"time"

	"github.com/probe-dev/probe/suite"
)

// segment is a stretch of the profile whose rate changes linearly from r0 to
// r1 (requests per second).
type segment struct {
	start, dur time.Duration
	r0, r1     float64
	h0         float64 // requests due before the segment
}

func (s segment) hits(dt time.Duration) float64 {
	t := dt.Seconds()
	slope := (s.r1 - s.r0) / s.dur.Seconds()
	return s.r0*t + 0.5*slope*t*t
}

// Schedule is the profile as a function of time: the rate at any moment and
// the moment each request is due.
type Schedule struct {
	segs  []segment
	total time.Duration
	hits  float64 // requests due over the whole profile, as a real number
}

// ScheduleOptions change the profile as written.
type ScheduleOptions struct {
	RateScale float64       // multiply every rate (default 1)
	Fit       time.Duration // stretch or squeeze the phases to last this long
	Cap       float64       // highest rate per second, 0 for none
	Limit     time.Duration // stop here even if the profile goes on
}

// NewSchedule turns a profile into a schedule.
func NewSchedule(profile []*suite.Phase, o ScheduleOptions) Schedule {
	scale := o.RateScale
	if scale <= 0 {
		scale = 1
	}
	type piece struct {
		dur    time.Duration
		r0, r1 float64
	}
	var pieces []piece
	var written time.Duration
	for _, ph := range profile {
		n, dur, rates := ph.Shape()
		for i := range int(n) {
			r0, r1 := rates(i)
			pieces = append(pieces, piece{dur, r0, r1})
		}
	}
	for _, p := range pieces {
		written += p.dur
	}
	stretch := 1.0
	if o.Fit > 0 && written > 0 {
		stretch = float64(o.Fit) / float64(written)
	}
	var s Schedule
	var at time.Duration
	for _, p := range pieces {
		dur := time.Duration(float64(p.dur) * stretch)
		if o.Limit > 0 && at+dur > o.Limit {
			dur = o.Limit - at
		}
		if dur <= 0 {
			break
		}
		r0, r1 := p.r0*scale, p.r1*scale
		if o.Cap > 0 {
			r0, r1 = math.Min(r0, o.Cap), math.Min(r1, o.Cap)
		}
		seg := segment{start: at, dur: dur, r0: r0, r1: r1, h0: s.hits}
		if o.Limit > 0 && at+dur == o.Limit && dur < time.Duration(float64(p.dur)*stretch) {
			// Cut short: the ramp's end rate is where it got to.
			seg.r1 = r0 + (r1-r0)*float64(dur)/(float64(p.dur)*stretch)
		}
		s.segs = append(s.segs, seg)
		s.hits += seg.hits(dur)
		at += dur
	}
	s.total = at
	return s
}

// Duration is how long the schedule runs.
func (s Schedule) Duration() time.Duration { return s.total }

// Planned is the number of requests the schedule sends.
func (s Schedule) Planned() int64 {
	if s.hits >= maxPlanned {
		return maxPlanned
	}
	return int64(math.Ceil(s.hits - 1e-9))
}

// maxPlanned bounds a schedule's count, far past any run (max_requests
// stops it long before): a float past an int64 converts to a negative, so
// a rate of 9e18/ms planned nothing, and the test passed having sent nothing.
const maxPlanned = 1 << 53

// Peak is the highest rate per second of the schedule.
func (s Schedule) Peak() float64 {
	peak := 0.0
	for _, g := range s.segs {
		peak = max(peak, g.r0, g.r1)
	}
	return peak
}

// Rate is the rate per second at t.
func (s Schedule) Rate(t time.Duration) float64 {
	for _, g := range s.segs {
		if t < g.start+g.dur {
			return g.r0 + (g.r1-g.r0)*(t-g.start).Seconds()/g.dur.Seconds()
		}
	}
	return 0
}

// Due is when request n (from 0) is due, from the start.
func (s Schedule) Due(n int64) time.Duration {
	x := float64(n)
	for _, g := range s.segs {
		h := g.hits(g.dur)
		if x >= g.h0+h {
			continue
		}
		rem := x - g.h0
		slope := (g.r1 - g.r0) / g.dur.Seconds()
		var t float64
		if math.Abs(slope) < 1e-12 {
			t = rem / g.r0
		} else {
			// Solve r0·t + slope/2·t² = rem for the first t ≥ 0.
			disc := g.r0*g.r0 + 2*slope*rem
			t = (-g.r0 + math.Sqrt(math.Max(disc, 0))) / slope
		}
		return g.start + time.Duration(t*float64(time.Second))
	}
	return s.total
}

// RarestRate is the mean rate, per second, of lt's least-weighted target
// when its profile runs as written (times rateScale): what the release gate
// plans its blocks from, so the rarest endpoint gets enough requests a block.
func RarestRate(lt *suite.LoadTest, rateScale float64) float64 {
	s := NewSchedule(lt.Profile, ScheduleOptions{RateScale: rateScale})
	if s.Duration() <= 0 || len(lt.Targets) == 0 {
		return 0
	}
	total, least := 0, math.MaxInt
	for _, t := range lt.Targets {
		w := 1
		if t.Weight != nil {
			w = *t.Weight
		}
		total += w
		least = min(least, w)
	}
	return float64(s.Planned()) / s.Duration().Seconds() * float64(least) / float64(total)
}
