package loadtests

import (
	"errors"
	"fmt"
	"maps"
	"math"
	"slices"
	"time"

	"github.com/probe-dev/probe/suite"
)

// ErrRefused marks options a load test must not run with: an environment it
// does not run on, a protected one without leave, a rate scale that is no
// number. It is bad input.
var ErrRefused = errors.New("load refused")

// Overrides are what a command may change of how a suite's load test runs
// on one environment.
type Overrides struct {
	BaseURL        string        // instead of the environment's (preview builds, the gate's two builds)
	AllowProtected bool          // a protected environment may take load, capped at its max_rate
	RateScale      float64       // multiply every rate (0: 1)
	Duration       time.Duration // fit the profile into this long (0: as written)
}

// OptionsFor is the one place the rules of sending load live, for every
// command that sends it (load, gate, drill, demo): the load test must run on
// env; a protected environment refuses load unless AllowProtected, and is
// then capped at its max_rate; requests carry the suite's default headers,
// then the environment's; templates see the environment's variables; what
// the test writes is redacted. The caller adds the generator's knobs.
func OptionsFor(s *suite.Suite, lt *suite.LoadTest, env string, ov Overrides) (Options, error) {
	e, ok := s.Environments[env]
	switch {
	case !ok:
		return Options{}, fmt.Errorf("%w: environment %q is not in the suite; it has %v", ErrRefused, env, s.EnvNames())
	case !slices.Contains(lt.Envs, env):
		return Options{}, fmt.Errorf("%w: load test %q does not run on %q; it runs on %v", ErrRefused, lt.Name, env, lt.Envs)
	case e.Protected && !ov.AllowProtected:
		return Options{}, fmt.Errorf("%w: environment %q is protected: a load test needs --allow-protected, and is then capped at %s", ErrRefused, env, e.MaxRate)
	case ov.RateScale < 0 || math.IsNaN(ov.RateScale) || math.IsInf(ov.RateScale, 0):
		return Options{}, fmt.Errorf("%w: rate scale %g: must be a number above 0", ErrRefused, ov.RateScale)
	case ov.Duration < 0:
		return Options{}, fmt.Errorf("%w: duration %s must not be negative", ErrRefused, ov.Duration)
	}
	o := Options{Env: env, BaseURL: e.BaseURL, Vars: e.Variables, RateScale: ov.RateScale, Duration: ov.Duration,
		Headers: map[string]string{}, Redact: s.Redactor.Redact}
	if o.RateScale == 0 {
		o.RateScale = 1
	}
	if ov.BaseURL != "" {
		o.BaseURL = ov.BaseURL
	}
	maps.Copy(o.Headers, s.Defaults.Headers)
	maps.Copy(o.Headers, e.Headers)
	if e.Protected {
		o.RateCap = e.MaxRate.PerSecond()
	}
	return o, nil
}

// AtRate is lt with its profile replaced by one constant rate held for d,
// and hard limits to match (half as long again, half as many again): one
// step of a capacity drill.
func AtRate(lt *suite.LoadTest, rate float64, d time.Duration) *suite.LoadTest {
	flat := *lt
	r := suite.Rate{Freq: int(rate*10 + 0.5), Per: 10 * time.Second}
	flat.Profile = []*suite.Phase{{Constant: &suite.ConstantPhase{Rate: r, Duration: suite.Duration(d)}}}
	// The rate is of arrivals; a journey's arrival sends each of its steps.
	steps := 1
	for _, tg := range lt.Targets {
		steps = max(steps, len(tg.Steps))
	}
	flat.Limits = &suite.Limits{MaxDuration: suite.Duration(d + d/2), MaxRequests: int(rate*d.Seconds()*1.5)*steps + 10}
	return &flat
}
