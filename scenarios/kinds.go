package scenarios

import (
	"context"
	"fmt"
	"slices"

	"github.com/probe-dev/probe/results"
	"github.com/probe-dev/probe/suite"
)

// Concurrency pools of the uptime probe: each kind of scenario draws a slot
// from one before it runs.
const (
	PoolBrowser = "browser" // flows in the shared Chromium
	PoolHTTP    = "http"    // plain requests
)

// Kind is everything the rest of probe knows about one kind of scenario: how
// it runs, which pool of probe run it draws on, and whether the command must
// start a browser for it. A new kind is its own file (its runner) and one
// entry of kinds; the suite's loader names the kinds it accepts, and a test
// keeps the two lists the same.
type Kind struct {
	Name    string
	Pool    string
	Browser bool
	attempt attemptFunc
}

// attemptFunc runs one attempt of one kind of scenario. ctx carries the
// attempt's deadline.
type attemptFunc func(r *Runner, ctx context.Context, sc *suite.Scenario, t Target) results.Attempt

var kinds = []Kind{
	{Name: suite.KindHTTP, Pool: PoolHTTP, attempt: (*Runner).httpCheck},
	{Name: suite.KindBrowser, Pool: PoolBrowser, Browser: true, attempt: (*Runner).browserFlow},
}

// KindOf returns the kind called name.
func KindOf(name string) (Kind, error) {
	i := slices.IndexFunc(kinds, func(k Kind) bool { return k.Name == name })
	if i < 0 {
		return Kind{}, fmt.Errorf("no runner for scenarios of kind %q", name)
	}
	return kinds[i], nil
}

// NeedsBrowser reports whether any of scs runs in a browser.
func NeedsBrowser(scs []*suite.Scenario) bool {
	return slices.ContainsFunc(scs, func(sc *suite.Scenario) bool {
		k, err := KindOf(sc.Kind)
		return err == nil && k.Browser
	})
}

// Check says whether probe can run every scenario of scs: a kind without a
// runner, or a browser step without one, fails here, where the suite is
// taken up, not as a check that silently never runs.
func Check(scs []*suite.Scenario) error {
	for _, sc := range scs {
		k, err := KindOf(sc.Kind)
		if err != nil {
			return fmt.Errorf("scenario %q (%s): %w", sc.Name, sc.Source, err)
		}
		if !k.Browser {
			continue // an http scenario's steps are requests, run by httpCheck
		}
		for _, st := range sc.Steps {
			if kind, _ := st.Action(); stepKinds[kind] == nil {
				return fmt.Errorf("scenario %q (%s): no runner for the browser step %q", sc.Name, sc.Source, kind)
			}
		}
	}
	return nil
}
