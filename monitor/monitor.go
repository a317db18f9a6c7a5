package monitor

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/probe-dev/probe/results"
	"github.com/probe-dev/probe/scenarios"
	"github.com/probe-dev/probe/store"
	"github.com/probe-dev/probe/suite"
	"github.com/prometheus/client_golang/prometheus"
)

// Runner runs one scenario once; scenarios.Runner is the real one.
type Runner interface {
	Run(ctx context.Context, sc *suite.Scenario, t scenarios.Target) results.Run
}

// History keeps runs and counts them; store.Store is the real one.
type History interface {
	Add(ctx context.Context, r store.Record) error
	Count(ctx context.Context, q store.Query) (store.Counts, error)
	Runs(ctx context.Context, q store.Query) ([]store.Record, error)
}

// Config says what to probe and how hard.
type Config struct {
	Suite        *suite.Suite
	Envs         []string          // environments to probe; empty: all
	BaseURLs     map[string]string // per-environment URL overrides
	BrowserSlots int               // browser flows at once (default 2)
	HTTPSlots    int               // HTTP checks at once (default 32)
	// Recheck is how soon a failing check runs again, so an outage's length is
	// measured, not guessed (default: a quarter of its interval, at least 5s).
	Recheck time.Duration
	// StopGrace is how long runs in flight may finish after a stop (default 30s).
	StopGrace time.Duration
	// MaxPending bounds runs held while the history cannot be written.
	MaxPending int
	// Notifier hears of each failing episode (Sentry); nil for none.
	Notifier Notifier
	// ArtifactDir is where the runner keeps screenshots; the status page
	// serves files from it, and only from it, under /artifacts/.
	ArtifactDir string
}

// Monitor probes every scenario on every environment it names, on its
// schedule, and keeps history, metrics and SLA figures.
type Monitor struct {
	cfg     Config
	runner  Runner
	history History
	log     *slog.Logger
	metrics *Metrics
	reg     *prometheus.Registry
	pools   map[string]chan struct{} // slots, by scenarios.Kind.Pool

	// flushMu lets one flush write the history at a time; mu guards the
	// state below only briefly, never across a write of the file, so the
	// status page and /readyz do not wait on SQLite.
	flushMu sync.Mutex
	mu      sync.Mutex
	suite   *suite.Suite   // the suite probing now; a reload replaces it
	pending []store.Record // runs not yet written to the history
	held    int64          // how many runs were ever held before pending[0]
	dropped int            // held runs given up on: MaxPending was reached
	histErr error          // why the history cannot be written, while it cannot
	state   map[checkKey]checkState
	ready   bool
}

type checkKey struct{ scenario, env string }

// checkState is the latest of one check, for the status page.
type checkState struct {
	kind    string
	last    results.Run
	ran     bool
	target  string
	failing bool // in a failing episode: failed since the last pass
}

// New returns a monitor; Run starts it.
func New(cfg Config, runner Runner, history History, log *slog.Logger) (*Monitor, error) {
	if cfg.BrowserSlots <= 0 {
		cfg.BrowserSlots = 2
	}
	if cfg.HTTPSlots <= 0 {
		cfg.HTTPSlots = 32
	}
	if cfg.StopGrace <= 0 {
		cfg.StopGrace = 30 * time.Second
	}
	if cfg.MaxPending <= 0 {
		cfg.MaxPending = 10_000
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := scenarios.Check(cfg.Suite.Scenarios); err != nil {
		return nil, fmt.Errorf("monitor: %w", err)
	}
	if err := cfg.probes(cfg.Suite); err != nil {
		return nil, err
	}
	pools := map[string]chan struct{}{
		scenarios.PoolBrowser: make(chan struct{}, cfg.BrowserSlots),
		scenarios.PoolHTTP:    make(chan struct{}, cfg.HTTPSlots),
	}
	m := &Monitor{cfg: cfg, runner: runner, history: history, log: log, metrics: NewMetrics(), reg: prometheus.NewRegistry(),
		pools: pools, state: map[checkKey]checkState{}}
	if err := m.metrics.Register(m.reg); err != nil {
		return nil, err
	}
	return m, nil
}

// Registry is where the monitor's metrics live.
func (m *Monitor) Registry() *prometheus.Registry { return m.reg }

// Run probes until ctx ends, then lets runs in flight finish within the stop
// grace, and writes what history it holds. reload delivers a new suite (on
// SIGHUP): the checks restart on it; history and metrics carry on.
func (m *Monitor) Run(ctx context.Context, reload <-chan *suite.Suite) error {
	s := m.cfg.Suite
	for {
		m.mu.Lock()
		m.suite = s
		m.mu.Unlock()
		checks := m.checks(s)
		if len(checks) == 0 {
			return fmt.Errorf("monitor: every scenario was skipped (see the log)")
		}
		m.log.Info("probing", "checks", len(checks), "envs", m.envs(s))
		m.flush(ctx) // also learns whether the history can be written at all
		m.setReady(true)
		roundCtx, cancel := context.WithCancel(ctx)
		var wg sync.WaitGroup
		for _, c := range checks {
			wg.Go(func() { m.loop(roundCtx, c) })
		}
		var next *suite.Suite
		select {
		case <-ctx.Done():
		case next = <-reload:
			err := scenarios.Check(next.Scenarios)
			if err == nil {
				err = m.cfg.probes(next)
			}
			if err != nil {
				m.log.Error("reload refused, probing on with the suite as it was", "err", err)
				next = s
			} else {
				m.log.Info("reloading the suite")
			}
		}
		cancel()
		wg.Wait()
		m.flush(context.WithoutCancel(ctx))
		if next == nil {
			return m.lost()
		}
		s = next
	}
}

func (m *Monitor) setReady(v bool) {
	m.mu.Lock()
	m.ready = v
	m.mu.Unlock()
}

// check is one scenario on one environment.
type check struct {
	sc     *suite.Scenario
	target scenarios.Target
}

func (m *Monitor) envs(s *suite.Suite) []string { return m.cfg.envs(s) }

func (c Config) envs(s *suite.Suite) []string {
	if len(c.Envs) > 0 {
		return c.Envs
	}
	return s.EnvNames()
}

// probes says why s gives the monitor nothing to run, if it does not: a
// monitor of nothing would look healthy while it probes nothing, and a
// reload to such a suite would end it.
func (c Config) probes(s *suite.Suite) error {
	if len(c.scheduled(s)) > 0 {
		return nil
	}
	if len(s.Scenarios) == 0 {
		return fmt.Errorf("monitor: the suite has no scenarios; probe run runs the checks and flows under scenarios: (load tests run with probe load)")
	}
	return fmt.Errorf("monitor: no scenario runs on %s; the scenarios run on %v", strings.Join(c.envs(s), ", "), scenarioEnvs(s))
}

// scheduledRun is one scenario on one environment: what the monitor runs
// on a schedule.
type scheduledRun struct {
	sc  *suite.Scenario
	env string
}

// scheduled lists every scenario of s on every environment of c it runs on.
func (c Config) scheduled(s *suite.Suite) []scheduledRun {
	var out []scheduledRun
	for _, env := range c.envs(s) {
		for _, sc := range s.Scenarios {
			if slices.Contains(sc.Envs, env) {
				out = append(out, scheduledRun{sc, env})
			}
		}
	}
	return out
}

// scenarioEnvs lists the environments any scenario of s runs on.
func scenarioEnvs(s *suite.Suite) []string {
	var out []string
	for _, sc := range s.Scenarios {
		for _, e := range sc.Envs {
			if !slices.Contains(out, e) {
				out = append(out, e)
			}
		}
	}
	slices.Sort(out)
	return out
}

func (m *Monitor) checks(s *suite.Suite) []check {
	var out []check
	for _, r := range m.cfg.scheduled(s) {
		sc, env := r.sc, r.env
		t, err := scenarios.TargetFor(s, env, m.cfg.BaseURLs[env])
		if err != nil {
			m.log.Error("skip check", "scenario", sc.Name, "env", env, "err", err)
			continue
		}
		if iv := sc.Schedule.Interval.Std(); iv < time.Second {
			// Allowed (the tests probe every few milliseconds), but 10ms
			// written for 10m hammers the target, so it is said.
			m.log.Warn("check runs more than once a second: was the interval meant in seconds or minutes?", "scenario", sc.Name, "env", env, "interval", iv)
		}
		out = append(out, check{sc: sc, target: t})
		m.metrics.initCheck(sc.Name, env, sc.Kind)
		m.mu.Lock()
		k := checkKey{sc.Name, env}
		st := m.state[k]
		st.kind, st.target = sc.Kind, s.Redactor.Redact(t.BaseURL) // the status page shows it
		m.state[k] = st
		m.mu.Unlock()
	}
	return out
}

// loop runs one check on its schedule: a random start within the jitter, then
// every interval plus jitter, sooner while it fails. It never overlaps itself.
func (m *Monitor) loop(ctx context.Context, c check) {
	sched := c.sc.Schedule
	wait := jitter(sched.Jitter.Std())
	for {
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		run, ok := m.runOnce(ctx, c)
		if !ok {
			return
		}
		wait = sched.Interval.Std() + jitter(sched.Jitter.Std())
		if run.Status == results.Fail || run.Status == results.Timeout {
			wait = m.recheck(sched.Interval.Std())
		}
	}
}

func (m *Monitor) recheck(interval time.Duration) time.Duration {
	if m.cfg.Recheck > 0 {
		return min(m.cfg.Recheck, interval)
	}
	return min(max(interval/4, 5*time.Second), interval)
}

func jitter(max time.Duration) time.Duration {
	if max <= 0 {
		return 0
	}
	return time.Duration(rand.Int64N(int64(max)))
}

// runOnce waits for a slot and runs the check. A stop while waiting skips the
// run; a stop while running lets it finish within the grace period.
func (m *Monitor) runOnce(ctx context.Context, c check) (results.Run, bool) {
	kind, err := scenarios.KindOf(c.sc.Kind)
	slot := m.pools[kind.Pool]
	if err != nil || slot == nil { // New and reloads refuse such a suite; a guard against a nil channel
		m.log.Error("check cannot run", "scenario", c.sc.Name, "kind", c.sc.Kind, "pool", kind.Pool, "err", err)
		return results.Run{}, false
	}
	select {
	case slot <- struct{}{}:
	case <-ctx.Done():
		return results.Run{}, false
	}
	defer func() { <-slot }()
	// The run outlives a stop by at most the grace period.
	rctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	defer cancel()
	stop := context.AfterFunc(ctx, func() {
		t := time.AfterFunc(m.cfg.StopGrace, cancel)
		context.AfterFunc(rctx, func() { t.Stop() })
	})
	defer stop()
	run := m.runner.Run(rctx, c.sc, c.target)
	m.record(rctx, run)
	return run, true
}

// record keeps a run: metrics, state, history (held in memory while the
// history cannot be written), SLA gauges.
func (m *Monitor) record(ctx context.Context, run results.Run) {
	m.metrics.observe(run)
	m.mu.Lock()
	k := checkKey{run.Scenario, run.Env}
	st := m.state[k]
	st.last, st.ran = run, true
	// One notice per episode: the first failure after a pass. A flaky pass
	// ends nothing and starts nothing; probe's own trouble neither.
	newEpisode := false
	switch run.Status {
	case results.Fail, results.Timeout:
		newEpisode, st.failing = !st.failing, true
	case results.Pass:
		st.failing = false
	}
	m.state[k] = st
	m.pending = append(m.pending, store.RecordOf(run))
	if over := len(m.pending) - m.cfg.MaxPending; over > 0 {
		m.log.Error("history unwritable too long: dropping the oldest held runs", "dropped", over)
		m.pending = m.pending[over:]
		m.held += int64(over)
		m.dropped += over
	}
	m.mu.Unlock()
	log := m.log.With("scenario", run.Scenario, "env", run.Env)
	last := run.Last()
	// Stable keys, for log pipelines: scenario, env, status, step, trace_id.
	log.Info("run", "status", run.Status, "step", last.FailingStep(), "reason", run.Reason, "trace_id", last.TraceID,
		"took", run.Duration.Round(time.Millisecond), "flaky", run.Flaky)
	if newEpisode && m.cfg.Notifier != nil {
		m.cfg.Notifier.Failure(run)
	}
	m.flush(ctx)
	m.updateSLA(ctx, run.Scenario, run.Env)
}

// flush writes held runs to the history, oldest first, stopping at the first
// failure so that order is kept and nothing is lost.
func (m *Monitor) flush(ctx context.Context) {
	m.flushMu.Lock()
	defer m.flushMu.Unlock()
	m.mu.Lock()
	batch, start := slices.Clone(m.pending), m.held
	m.mu.Unlock()

	var err error
	written := 0
	if len(batch) == 0 {
		// Nothing held: a cheap read tells whether the file opens at all, so
		// /readyz says so before the first run is lost.
		_, err = m.history.Count(ctx, store.Query{Since: time.Now()})
	}
	for _, r := range batch {
		if err = m.history.Add(ctx, r); err != nil {
			break
		}
		written++
	}

	m.mu.Lock()
	defer m.mu.Unlock()
	// Runs may have been held, or the oldest dropped, while the file was
	// written: remove exactly those written.
	if done := start + int64(written) - m.held; done > 0 {
		m.pending = m.pending[min(int(done), len(m.pending)):]
		m.held += done
	}
	if err != nil {
		m.historyFailed(err)
		return
	}
	if m.histErr != nil {
		m.log.Info("history writable again: held runs stored")
	}
	m.histErr = nil
}

// current is the suite probing now.
func (m *Monitor) current() *suite.Suite {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.suite == nil {
		return m.cfg.Suite
	}
	return m.suite
}

// historyFailed notes that the history cannot be written; m.mu is held.
func (m *Monitor) historyFailed(err error) {
	if m.histErr == nil || m.histErr.Error() != err.Error() {
		m.log.Error("history unwritable: probing on, holding runs in memory; /readyz says not ready until it can be written",
			"held", len(m.pending), "err", err)
	}
	m.histErr = err
}

// lost says, at the end, how many runs never reached the history.
func (m *Monitor) lost() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if n := len(m.pending) + m.dropped; n > 0 {
		return fmt.Errorf("monitor: %d %s never written to the history and lost: %v", n, plural(n, "run was", "runs were"), m.histErr)
	}
	return nil
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// updateSLA sets the availability gauges of one check from the history.
func (m *Monitor) updateSLA(ctx context.Context, scenario, env string) {
	now := time.Now()
	for _, w := range Windows {
		c, err := m.history.Count(ctx, store.Query{Scenario: scenario, Env: env, Since: now.Add(-time.Duration(w.Secs) * time.Second)})
		if err != nil {
			m.log.Error("SLA from history", "err", err)
			return
		}
		m.metrics.sla.WithLabelValues(scenario, env, w.Name).Set(c.Availability())
	}
	if a := m.current().SLOs.Availability; a != nil {
		c, err := m.history.Count(ctx, store.Query{Scenario: scenario, Env: env, Since: now.Add(-a.Window.Std())})
		if err != nil {
			return
		}
		m.metrics.budget.WithLabelValues(scenario, env).Set(BudgetRemaining(c.Availability(), float64(a.Target)))
	}
}

// BudgetRemaining is the share of the error budget left: 1 untouched, 0 spent,
// negative overspent.
func BudgetRemaining(availability, target float64) float64 {
	if target >= 1 {
		return 0
	}
	return 1 - (1-availability)/(1-target)
}
