package loadtests

import (
	"fmt"
	"math/rand/v2"
	"time"
)

// Think-time shapes: the pause of a journey's user between one step's
// answer and the next step's send. It is never part of a step's latency.
const (
	ThinkFixed       = "fixed"       // always a
	ThinkUniform     = "uniform"     // evenly in [a, b]
	ThinkExponential = "exponential" // mean a: the arrivals of a Poisson process
)

// think draws pauses of one shape. The zero value pauses for nothing.
type think struct {
	shape string
	a, b  time.Duration
}

// maxThinkFactor caps an exponential pause at this many means: without a
// cap one draw in e^20 would hold a user for hours; with it the mean is
// short of a by a·e^-20, nothing a test can see.
const maxThinkFactor = 20

func newThink(shape string, a, b time.Duration) (think, error) {
	switch {
	case shape != ThinkFixed && shape != ThinkUniform && shape != ThinkExponential:
		return think{}, fmt.Errorf("unknown think time %q; use fixed, uniform or exponential", shape)
	case a < 0 || b < 0:
		return think{}, fmt.Errorf("think time %s: a pause cannot be negative", shape)
	case shape == ThinkUniform && b < a:
		return think{}, fmt.Errorf("think time uniform: the upper bound %s is below the lower %s", b, a)
	}
	return think{shape: shape, a: a, b: b}, nil
}

// draw returns one pause, from rng (which the caller owns or locks).
func (t think) draw(rng *rand.Rand) time.Duration {
	switch t.shape {
	case ThinkFixed:
		return t.a
	case ThinkUniform:
		if t.b == t.a {
			return t.a
		}
		return t.a + time.Duration(rng.Int64N(int64(t.b-t.a)+1))
	case ThinkExponential:
		return time.Duration(min(rng.ExpFloat64(), maxThinkFactor) * float64(t.a))
	}
	return 0
}
