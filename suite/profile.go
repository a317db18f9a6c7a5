package suite

import (
	"math"
	"time"
)

// MaxSteps bounds a steps phase: each step is a piece of the schedule held
// in memory, and a staircase of millions of steps (1/h to 1000/s by 1/h)
// would take gigabytes before the first request.
const MaxSteps = 10_000

// Count is how many steps the staircase has: from, then up by step while
// the rate stays at or below to (float rates may land a hair past to).
func (s *StepsPhase) Count() float64 {
	from, to, step := s.From.PerSecond(), s.To.PerSecond(), s.Step.PerSecond()
	if step <= 0 || to < from {
		return 1
	}
	return math.Floor((to-from)/step+1e-9) + 1
}

// Shape is the phase as a schedule runs it: n pieces of dur each, piece i
// going from rate r0 to r1 a second. The validator reads n and dur without
// building the pieces, so a staircase too long to hold is caught first.
func (ph *Phase) Shape() (n float64, dur time.Duration, rates func(i int) (r0, r1 float64)) {
	steady := func(r Rate) func(int) (float64, float64) {
		return func(int) (float64, float64) { return r.PerSecond(), r.PerSecond() }
	}
	switch {
	case ph.Constant != nil:
		return 1, ph.Constant.Duration.Std(), steady(ph.Constant.Rate)
	case ph.Spike != nil:
		return 1, ph.Spike.Duration.Std(), steady(ph.Spike.Rate)
	case ph.Ramp != nil:
		return 1, ph.Ramp.Duration.Std(), func(int) (float64, float64) { return ph.Ramp.From.PerSecond(), ph.Ramp.To.PerSecond() }
	case ph.Steps != nil:
		st := ph.Steps
		return st.Count(), st.StepDuration.Std(), func(i int) (float64, float64) {
			r := st.From.PerSecond() + float64(i)*st.Step.PerSecond()
			return r, r
		}
	}
	return 0, 0, nil
}

// tooLong ends the error of a duration, or a profile, past what a
// time.Duration holds.
const tooLong = "more than a duration holds (106751 days, about 292 years)"

// maxProfile is the longest profile a schedule can hold, in seconds.
var maxProfile = time.Duration(math.MaxInt64).Seconds()
