package monitor

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/probe-dev/probe/demoapp"
	"github.com/probe-dev/probe/demoapp/demotest"
	"github.com/probe-dev/probe/results"
	"github.com/probe-dev/probe/scenarios"
	"github.com/probe-dev/probe/store"
	"github.com/probe-dev/probe/suite"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func loadSuite(t *testing.T, url, scenarios string) *suite.Suite {
	t.Helper()
	s, err := suite.LoadBytes("suite.yaml", []byte(`
name: shop
environments:
  dev: {base_url: "`+url+`"}
slos:
  availability: {target: 90%, window: 1h}
scenarios:
`+scenarios), suite.WithLookupEnv(func(string) (string, bool) { return "", false }))
	require.NoError(t, err)
	return s
}

func openStore(t *testing.T, path string) *store.Store {
	t.Helper()
	s, err := store.Open(t.Context(), path)
	require.NoError(t, err)
	t.Cleanup(func() { s.Close() })
	return s
}

// runUntil runs m until cond holds, then stops it and waits.
func runUntil(t *testing.T, m *Monitor, cond func() bool) {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx, nil) }()
	require.Eventually(t, cond, 60*time.Second, 20*time.Millisecond)
	cancel()
	require.NoError(t, <-done)
}

func count(t *testing.T, h History, q store.Query) store.Counts {
	t.Helper()
	c, err := h.Count(context.Background(), q)
	require.NoError(t, err)
	return c
}

// TestProbesTheShop: the demo shop fails a known share of requests; the
// history, the metrics and the SLA gauges agree with each other and with it.
func TestProbesTheShop(t *testing.T) {
	_, url := demotest.Start(t, demoapp.Faults{Routes: map[string]demoapp.RouteFaults{"api.health": {ErrorRate: 0.3}}})
	s := loadSuite(t, url, `
  - {name: health, kind: http, schedule: {interval: 50ms, jitter: 10ms}, request: {url: /api/health}, expect: {status: 200}}
  - {name: home, kind: http, schedule: {interval: 200ms, jitter: 10ms}, request: {url: /}}
  - name: flow
    kind: http
    schedule: {interval: 100ms, jitter: 10ms}
    steps:
      - {name: health, request: {url: /api/health}}
      - {name: product, request: {url: /api/products/1}}
`)
	hist := openStore(t, filepath.Join(t.TempDir(), "h.db"))
	m, err := New(Config{Suite: s, Recheck: 50 * time.Millisecond}, scenarios.NewRunner(nil), hist, nil)
	require.NoError(t, err)
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()

	res, err := http.Get(srv.URL + "/readyz")
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, 503, res.StatusCode, "not ready before probing")

	const n = 200
	runUntil(t, m, func() bool { c := count(t, hist, store.Query{Scenario: "health"}); return c.Pass+c.Fail >= n })

	c := count(t, hist, store.Query{Scenario: "health", Env: "dev"})
	total := float64(c.Pass + c.Fail + c.Timeout)
	sd := math.Sqrt(0.3 * 0.7 / total)
	assert.InDelta(t, 0.7, c.Availability(), 5*sd, "the injected failure share, within 5σ")

	reg := m.Registry()
	assert.Equal(t, float64(c.Pass), testutil.ToFloat64(m.metrics.runs.WithLabelValues("health", "dev", "pass")))
	assert.Equal(t, float64(c.Fail), testutil.ToFloat64(m.metrics.runs.WithLabelValues("health", "dev", "fail")))
	assert.InDelta(t, c.Availability(), testutil.ToFloat64(m.metrics.sla.WithLabelValues("health", "dev", "1h")), 1e-9)
	assert.InDelta(t, BudgetRemaining(c.Availability(), 0.9), testutil.ToFloat64(m.metrics.budget.WithLabelValues("health", "dev")), 1e-9)
	assert.Equal(t, 1.0, testutil.ToFloat64(m.metrics.info.WithLabelValues("home", "dev", "http")))
	assert.Equal(t, 1.0, testutil.ToFloat64(m.metrics.success.WithLabelValues("home", "dev")))
	families, err := reg.Gather()
	require.NoError(t, err)
	var names []string
	for _, f := range families {
		names = append(names, f.GetName())
	}
	for _, want := range []string{"probe_success", "probe_duration_seconds", "probe_http_duration_seconds", "probe_http_status_code",
		"probe_runs_total", "probe_step_duration_seconds", "probe_sla_availability_ratio", "probe_slo_error_budget_remaining_ratio", "probe_check_info"} {
		assert.Contains(t, names, want)
	}

	// The steps of an http flow each have their series.
	res, err = http.Get(srv.URL + "/metrics")
	require.NoError(t, err)
	metrics, err := io.ReadAll(res.Body)
	res.Body.Close()
	require.NoError(t, err)
	for _, step := range []string{"health", "product"} {
		assert.Regexp(t, `probe_step_duration_seconds_count\{env="dev",scenario="flow",step="`+step+`"\} [1-9]`, string(metrics))
	}
	for path, want := range map[string]string{"/healthz": "ok", "/readyz": "ready", "/": "<strong>health</strong> on <strong>dev</strong>",
		"/metrics": `probe_runs_total{env="dev",scenario="health",status="pass"}`} {
		res, err := http.Get(srv.URL + path)
		require.NoError(t, err)
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		assert.Equal(t, 200, res.StatusCode, path)
		assert.Contains(t, string(body), want, path)
	}
}

// scripted is a runner that answers from a script, for the monitor's own
// bookkeeping; the real runner is tested in package scenarios.
type scripted struct {
	mu     sync.Mutex
	script []results.Status
	n      int
}

func (s *scripted) Run(_ context.Context, sc *suite.Scenario, t scenarios.Target) results.Run {
	s.mu.Lock()
	st := s.script[s.n%len(s.script)]
	s.n++
	s.mu.Unlock()
	return results.Run{Scenario: sc.Name, Env: t.Env, Kind: sc.Kind, Start: time.Now(), Status: st,
		Attempts: []results.Attempt{{Status: st, Steps: []results.Step{{Name: "GET /", Status: st}}}}}
}

func TestInfraErrorsDoNotDentTheSLA(t *testing.T) {
	hist := openStore(t, filepath.Join(t.TempDir(), "h.db"))
	s := loadSuite(t, "http://127.0.0.1:1", "  - {name: c, kind: http, schedule: {interval: 10ms, jitter: 1ms}, request: {url: /}}\n")
	r := &scripted{script: []results.Status{results.Pass, results.InfraError, results.InfraError, results.Pass, results.Fail}}
	m, err := New(Config{Suite: s, Recheck: 10 * time.Millisecond}, r, hist, nil)
	require.NoError(t, err)
	runUntil(t, m, func() bool { return count(t, hist, store.Query{}).Pass >= 20 })
	c := count(t, hist, store.Query{})
	assert.Positive(t, c.InfraError)
	assert.InDelta(t, float64(c.Pass)/float64(c.Pass+c.Fail), c.Availability(), 1e-12)
	assert.InDelta(t, c.Availability(), testutil.ToFloat64(m.metrics.sla.WithLabelValues("c", "dev", "24h")), 1e-9)
}

// flaky fails its first writes, as a locked or full disk would.
type flaky struct {
	*store.Store
	fail atomic.Int32
}

func (f *flaky) Add(ctx context.Context, r store.Record) error {
	if f.fail.Add(-1) >= 0 {
		return errors.New("database is locked")
	}
	return f.Store.Add(ctx, r)
}

func TestHistoryHeldWhileUnwritable(t *testing.T) {
	hist := &flaky{Store: openStore(t, filepath.Join(t.TempDir(), "h.db"))}
	hist.fail.Store(5)
	s := loadSuite(t, "http://127.0.0.1:1", "  - {name: c, kind: http, schedule: {interval: 10ms, jitter: 1ms}, request: {url: /}}\n")
	r := &scripted{script: []results.Status{results.Pass}}
	m, err := New(Config{Suite: s}, r, hist, nil)
	require.NoError(t, err)
	runUntil(t, m, func() bool { return count(t, hist, store.Query{}).Pass >= 10 })
	r.mu.Lock()
	ran := r.n
	r.mu.Unlock()
	assert.Equal(t, int64(ran), count(t, hist, store.Query{}).Pass, "every run was written in the end; none lost")
}

func TestRestartKeepsHistory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h.db")
	s := loadSuite(t, "http://127.0.0.1:1", "  - {name: c, kind: http, schedule: {interval: 10ms, jitter: 1ms}, request: {url: /}}\n")
	var first store.Counts
	for round := range 2 {
		hist, err := store.Open(t.Context(), path)
		require.NoError(t, err)
		r := &scripted{script: []results.Status{results.Pass, results.Fail, results.Pass, results.Pass}}
		m, err := New(Config{Suite: s, Recheck: 10 * time.Millisecond}, r, hist, nil)
		require.NoError(t, err)
		runUntil(t, m, func() bool { return count(t, hist, store.Query{}).Pass >= int64(12*(round+1)) })
		c := count(t, hist, store.Query{})
		if round == 0 {
			first = c
		} else {
			assert.Greater(t, c.Pass+c.Fail, first.Pass+first.Fail, "the second run adds to the first's history")
			assert.InDelta(t, c.Availability(), testutil.ToFloat64(m.metrics.sla.WithLabelValues("c", "dev", "1h")), 1e-9,
				"the SLA after a restart counts the runs before it")
		}
		require.NoError(t, hist.Close())
	}
}

func TestReload(t *testing.T) {
	hist := openStore(t, filepath.Join(t.TempDir(), "h.db"))
	s := loadSuite(t, "http://127.0.0.1:1", "  - {name: a, kind: http, schedule: {interval: 10ms, jitter: 1ms}, request: {url: /}}\n")
	r := &scripted{script: []results.Status{results.Pass}}
	m, err := New(Config{Suite: s}, r, hist, nil)
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(t.Context())
	reload := make(chan *suite.Suite)
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx, reload) }()
	require.Eventually(t, func() bool { return count(t, hist, store.Query{Scenario: "a"}).Pass >= 3 }, 30*time.Second, 10*time.Millisecond)
	// A suite emptied of scenarios is refused: the monitor probes on with a.
	reload <- loadSuite(t, "http://127.0.0.1:1", "")
	before := count(t, hist, store.Query{Scenario: "a"}).Pass
	require.Eventually(t, func() bool { return count(t, hist, store.Query{Scenario: "a"}).Pass >= before+3 }, 30*time.Second, 10*time.Millisecond)
	require.Empty(t, done, "the monitor ended on a reload to a suite without scenarios")
	reload <- loadSuite(t, "http://127.0.0.1:1", "  - {name: b, kind: http, schedule: {interval: 10ms, jitter: 1ms}, request: {url: /}}\n")
	require.Eventually(t, func() bool { return count(t, hist, store.Query{Scenario: "b"}).Pass >= 3 }, 30*time.Second, 10*time.Millisecond)
	cancel()
	require.NoError(t, <-done)
	assert.Equal(t, "b", m.current().Scenarios[0].Name, "the reloaded suite is the current one")
}

// slow is a runner whose runs take a while and end early, as timeouts, when
// their context is cancelled.
type slow struct {
	took    time.Duration
	started chan struct{}
}

func (s *slow) Run(ctx context.Context, sc *suite.Scenario, t scenarios.Target) results.Run {
	select {
	case s.started <- struct{}{}:
	default:
	}
	st := results.Pass
	select {
	case <-time.After(s.took):
	case <-ctx.Done():
		st = results.Timeout
	}
	return results.Run{Scenario: sc.Name, Env: t.Env, Start: time.Now(), Status: st}
}

func TestStopLetsRunsFinish(t *testing.T) {
	tests := []struct {
		name  string
		grace time.Duration
		want  results.Status
	}{
		{"finishes within the grace", 5 * time.Second, results.Pass},
		{"cut at the deadline", 50 * time.Millisecond, results.Timeout},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hist := openStore(t, filepath.Join(t.TempDir(), "h.db"))
			s := loadSuite(t, "http://127.0.0.1:1", "  - {name: c, kind: http, schedule: {interval: 1h, jitter: 1ms}, request: {url: /}}\n")
			r := &slow{took: 500 * time.Millisecond, started: make(chan struct{}, 1)}
			m, err := New(Config{Suite: s, StopGrace: tt.grace}, r, hist, nil)
			require.NoError(t, err)
			ctx, cancel := context.WithCancel(t.Context())
			done := make(chan error, 1)
			go func() { done <- m.Run(ctx, nil) }()
			<-r.started
			cancel() // stop while the run is in flight
			require.NoError(t, <-done)
			recs, err := hist.Runs(t.Context(), store.Query{})
			require.NoError(t, err)
			require.Len(t, recs, 1, "the run in flight was written before Run returned")
			assert.Equal(t, tt.want, recs[0].Status)
		})
	}
}

// TestNewRefusesAKindWithoutARunner: a scenario of a kind probe has no
// runner for fails loudly at start, instead of a check that never runs.
func TestNewRefusesAKindWithoutARunner(t *testing.T) {
	s := &suite.Suite{Scenarios: []*suite.Scenario{{Name: "x", Kind: "ftp", Source: "s.yaml:4:5"}}}
	_, err := New(Config{Suite: s}, scenarios.NewRunner(nil), &store.Lazy{Path: filepath.Join(t.TempDir(), "h.db")}, nil)
	assert.ErrorContains(t, err, `scenario "x" (s.yaml:4:5): no runner for scenarios of kind "ftp"`)
}

// TestNewRefusesNothingToProbe: a monitor of no scenario would look healthy
// while it probes nothing.
func TestNewRefusesNothingToProbe(t *testing.T) {
	for _, tc := range []struct {
		name, scenarios string
		envs            []string
		want            string
	}{
		{"no scenarios", "", nil, "the suite has no scenarios; probe run runs the checks and flows under scenarios:"},
		{"none on the environment", "  - {name: a, kind: http, envs: [dev], request: {url: /}}\n", []string{"stg"}, "no scenario runs on stg; the scenarios run on [dev]"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := loadSuite(t, "http://127.0.0.1:1", tc.scenarios)
			s.Environments["stg"] = s.Environments["dev"]
			_, err := New(Config{Suite: s, Envs: tc.envs}, &scripted{}, &store.Lazy{Path: filepath.Join(t.TempDir(), "h.db")}, nil)
			assert.ErrorContains(t, err, tc.want)
		})
	}
}

// TestReloadWhileThePageIsRead: SIGHUP reloads replace the suite while the
// status page and /readyz are read; under -race this finds any read of the
// suite that is not guarded. Each reload renames the suite, and the page
// shows the new name.
func TestReloadWhileThePageIsRead(t *testing.T) {
	_, url := demotest.Start(t, demoapp.Faults{})
	checks := "  - {name: health, kind: http, schedule: {interval: 20ms}, request: {url: /api/health}}\n"
	s := loadSuite(t, url, checks)
	hist := openStore(t, filepath.Join(t.TempDir(), "h.db"))
	m, err := New(Config{Suite: s}, scenarios.NewRunner(nil), hist, nil)
	require.NoError(t, err)
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()

	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	reload := make(chan *suite.Suite)
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx, reload) }()
	var readers sync.WaitGroup
	stopReading := make(chan struct{})
	for range 2 {
		readers.Go(func() {
			for {
				select {
				case <-stopReading:
					return
				default:
				}
				for _, path := range []string{"/", "/readyz", "/metrics"} {
					if res, err := http.Get(srv.URL + path); err == nil {
						_, _ = io.Copy(io.Discard, res.Body)
						res.Body.Close()
					}
				}
			}
		})
	}
	for i := range 5 {
		next := loadSuite(t, url, checks)
		next.Name = fmt.Sprintf("shop-%d", i)
		reload <- next
		require.Eventually(t, func() bool {
			res, err := http.Get(srv.URL + "/")
			if err != nil {
				return false
			}
			defer res.Body.Close()
			b, _ := io.ReadAll(res.Body)
			return strings.Contains(string(b), next.Name)
		}, 10*time.Second, 10*time.Millisecond)
	}
	close(stopReading)
	readers.Wait()
	cancel()
	require.NoError(t, <-done)
}

// TestSubSecondIntervalSaid: a check scheduled more often than once a second
// (10ms written for 10m) is warned of, each environment; others are not.
func TestSubSecondIntervalSaid(t *testing.T) {
	for _, tc := range []struct {
		interval string
		warned   bool
	}{{"10ms", true}, {"999ms", true}, {"1s", false}, {"10m", false}} {
		t.Run(tc.interval, func(t *testing.T) {
			var logs strings.Builder
			s := loadSuite(t, "http://127.0.0.1:1", "  - {name: c, kind: http, schedule: {interval: "+tc.interval+"}, request: {url: /}}\n")
			m, err := New(Config{Suite: s}, &scripted{script: []results.Status{results.Pass}}, openStore(t, filepath.Join(t.TempDir(), "h.db")),
				slog.New(slog.NewTextHandler(&logs, nil)))
			require.NoError(t, err)
			require.Len(t, m.checks(s), 1)
			if tc.warned {
				assert.Contains(t, logs.String(), `msg="check runs more than once a second`)
				assert.Contains(t, logs.String(), "scenario=c env=dev interval="+tc.interval)
			} else {
				assert.NotContains(t, logs.String(), "more than once a second")
			}
		})
	}
}
