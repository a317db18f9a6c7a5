package scenarios

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"path/filepath"
	"sync/atomic"
	"time"

	"github.com/probe-dev/probe/results"
	"github.com/probe-dev/probe/suite"
)

// Target is the environment a scenario runs against.
type Target struct {
	Env     string
	BaseURL string
	Headers map[string]string // the suite's default headers, then the environment's
	Vars    map[string]string // the environment's variables, for {{var "name"}}
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
	return Target{Env: env, BaseURL: baseURL, Headers: h, Vars: e.Variables}, nil
}

// Runner runs scenarios once.
type Runner struct {
	log       *slog.Logger
	browser   *Browser
	redactor  interface{ Redact(string) string }
	artifacts string
	seq       atomic.Int64 // behind {{seq}} in the requests of http checks
}

// Option configures a Runner.
type Option func(*Runner)

// WithBrowser runs browser flows in b. Without it they end as infra_error.
func WithBrowser(b *Browser) Option { return func(r *Runner) { r.browser = b } }

// WithRedactor hides secrets in everything a run records.
func WithRedactor(red interface{ Redact(string) string }) Option {
	return func(r *Runner) { r.redactor = red }
}

// WithArtifacts keeps screenshots, HTML and logs of browser flows under dir,
// in a folder per scenario and environment.
func WithArtifacts(dir string) Option { return func(r *Runner) { r.artifacts = dir } }

// NewRunner returns a Runner that logs to log.
func NewRunner(log *slog.Logger, opts ...Option) *Runner {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	r := &Runner{log: log}
	for _, o := range opts {
		o(r)
	}
	return r
}

func (r *Runner) redact(s string) string {
	if r.redactor == nil {
		return s
	}
	return r.redactor.Redact(s)
}

// ArtifactDir is where the artifacts of a scenario's runs on env go, beside
// the run's JSON (<dir>/<scenario>-<env>.json).
func ArtifactDir(dir, scenario, env string) string {
	return filepath.Join(dir, scenario+"-"+env)
}

func (r *Runner) artifactDir(scenario, env string, start time.Time) string {
	if r.artifacts == "" {
		return ""
	}
	return filepath.Join(ArtifactDir(r.artifacts, scenario, env), start.UTC().Format("20060102T150405.000"))
}

// brokenBrowser classifies an error of the browser itself: the run's time ran
// out, or the browser is broken and is restarted.
func (r *Runner) brokenBrowser(ctx context.Context, what string, err error) (results.Status, string) {
	if ctx.Err() != nil {
		return results.Timeout, fmt.Sprintf("timed out while trying to %s", what)
	}
	r.browser.restart(err.Error())
	return results.InfraError, fmt.Sprintf("browser could not %s: %v", what, err)
}

// Interrupted starts the reason of a run cut short because probe itself was
// stopped (SIGTERM, Ctrl-C).
const Interrupted = "interrupted: probe was stopped during the run"

// Run runs sc once against t: up to 1+retries attempts, each within the
// scenario's timeout, stopping at the first pass. A pass after a failed attempt
// is marked flaky.
func (r *Runner) Run(ctx context.Context, sc *suite.Scenario, t Target) results.Run {
	run := results.Run{Version: results.SchemaVersion, Scenario: sc.Name, Kind: sc.Kind, Env: t.Env, Start: time.Now()}
	log := r.log.With("scenario", sc.Name, "env", t.Env)
	kind, err := KindOf(sc.Kind)
	if err != nil { // Check refuses such a suite first; this is a guard
		run.Status, run.Reason = results.InfraError, err.Error()
		run.Duration = time.Since(run.Start)
		return run
	}
	retries := 0
	if sc.Retries != nil {
		retries = *sc.Retries
	}
	for i := 0; i <= retries; i++ {
		actx, cancel := context.WithTimeout(ctx, sc.Timeout.Std())
		a := kind.attempt(r, actx, sc, t)
		cancel()
		run.Attempts = append(run.Attempts, a)
		log.Debug("attempt", "n", i+1, "status", a.Status, "reason", a.Reason, "took", a.Duration)
		if a.Status == results.Pass || ctx.Err() != nil {
			break
		}
	}
	last := run.Last()
	run.Status, run.Reason = last.Status, last.Reason
	if last.Status != results.Pass && errors.Is(ctx.Err(), context.Canceled) {
		// probe was stopped mid-run: neither the target's fault nor a broken
		// browser, whatever the attempt made of its cut context.
		run.Status, run.Reason = results.InfraError, Interrupted+" (was: "+last.Reason+")"
		run.Attempts[len(run.Attempts)-1].Status = results.InfraError
		run.Attempts[len(run.Attempts)-1].Reason = run.Reason
	}
	run.Flaky = last.Status == results.Pass && len(run.Attempts) > 1
	run.Duration = time.Since(run.Start)
	run.Redact(r.redact)
	log.Debug("run", "status", run.Status, "reason", run.Reason, "attempts", len(run.Attempts), "took", run.Duration)
	return run
}
