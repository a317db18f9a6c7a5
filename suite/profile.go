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

// StepRate is the rate per second of step i (from 0).
func (s *StepsPhase) StepRate(i int) float64 {
	return s.From.PerSecond() + float64(i)*s.Step.PerSecond()
}

// length is how long the phase lasts as written, in seconds: a float, so
// that a profile too long for a time.Duration can be told from one that fits.
func (ph *Phase) length() float64 {
	switch {
	case ph.Constant != nil:
		return ph.Constant.Duration.Std().Seconds()
	case ph.Spike != nil:
		return ph.Spike.Duration.Std().Seconds()
	case ph.Ramp != nil:
		return ph.Ramp.Duration.Std().Seconds()
	case ph.Steps != nil:
		return ph.Steps.Count() * ph.Steps.StepDuration.Std().Seconds()
	}
	return 0
}

// maxProfile is the longest profile a schedule can hold.
var maxProfile = time.Duration(math.MaxInt64).Seconds()
