package scenarios

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"maps"
	"time"

	"github.com/probe-dev/probe/results"
	"github.com/probe-dev/probe/suite"
)

// Target is the environment a scenario runs against.
type Target struct {
	Env     string
	BaseURL string
	Headers map[string]string // the suite's default headers, then the environment's
	// TLS, when set, is the TLS configuration of HTTP checks (a private CA,
	// say); by default the system's roots are trusted.
	TLS *tls.Config
}

// TargetFor returns the target of environment env in s; baseURL, when not
// empty, overrides the environment's URL (preview environments in CI).
func TargetFor(s *suite.Suite, env, baseURL string) (Target, error) {
	e, ok := s.Environments[env]
	if !ok {
		return Target{}, fmt.Errorf("environment %q is not in the suite; it has %v", env, s.EnvNames())
	}
	h := maps.Clone(s.Defaults.Headers)
	if h == nil {
		h = map[string]string{}
	}
	maps.Copy(h, e.Headers)
	if baseURL == "" {
		baseURL = e.BaseURL
	}
	return Target{Env: env, BaseURL: baseURL, Headers: h}, nil
}

// attemptFunc runs one attempt of one kind of scenario. ctx carries the
// attempt's deadline.
type attemptFunc func(ctx context.Context, sc *suite.Scenario, t Target) results.Attempt

// kinds maps each scenario kind to its runner: one explicit map, as
// blackbox_exporter dispatches its probers.
var kinds = map[string]attemptFunc{
	suite.KindHTTP: httpCheck,
}

// Runner runs scenarios once.
type Runner struct {
	log *slog.Logger
}

// NewRunner returns a Runner that logs to log.
func NewRunner(log *slog.Logger) *Runner {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Runner{log: log}
}

// Run runs sc once against t: up to 1+retries attempts, each within the
// scenario's timeout, stopping at the first pass. A pass after a failed attempt
// is marked flaky.
func (r *Runner) Run(ctx context.Context, sc *suite.Scenario, t Target) results.Run {
	run := results.Run{Version: results.SchemaVersion, Scenario: sc.Name, Kind: sc.Kind, Env: t.Env, Start: time.Now()}
	log := r.log.With("scenario", sc.Name, "env", t.Env)
	attempt, ok := kinds[sc.Kind]
	if !ok {
		run.Status, run.Reason = results.InfraError, fmt.Sprintf("this probe cannot run scenarios of kind %q yet", sc.Kind)
		run.Duration = time.Since(run.Start)
		return run
	}
	retries := 0
	if sc.Retries != nil {
		retries = *sc.Retries
	}
	for i := 0; i <= retries; i++ {
		actx, cancel := context.WithTimeout(ctx, sc.Timeout.Std())
		a := attempt(actx, sc, t)
		cancel()
		run.Attempts = append(run.Attempts, a)
		log.Debug("attempt", "n", i+1, "status", a.Status, "reason", a.Reason, "took", a.Duration)
		if a.Status == results.Pass || ctx.Err() != nil {
			break
		}
	}
	last := run.Last()
	run.Status, run.Reason = last.Status, last.Reason
	run.Flaky = last.Status == results.Pass && len(run.Attempts) > 1
	run.Duration = time.Since(run.Start)
	log.Info("run", "status", run.Status, "reason", run.Reason, "attempts", len(run.Attempts), "took", run.Duration)
	return run
}
