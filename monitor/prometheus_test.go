package monitor

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/probe-dev/probe/demoapp"
	"github.com/probe-dev/probe/demoapp/demotest"
	"github.com/probe-dev/probe/scenarios"
	"github.com/probe-dev/probe/store"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// startPrometheus runs Debian's Prometheus on a free loopback port, scraping
// target every second.
func startPrometheus(t *testing.T, target string) string {
	t.Helper()
	bin, err := exec.LookPath("prometheus")
	require.NoError(t, err, "run 'make setup' to install prometheus")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	dir := t.TempDir()
	cfg := filepath.Join(dir, "prometheus.yml")
	require.NoError(t, os.WriteFile(cfg, []byte(fmt.Sprintf(`global:
  scrape_interval: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: probe
    static_configs:
      - targets: [%q]
`, target)), 0o600))
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, bin, "--config.file="+cfg, "--storage.tsdb.path="+filepath.Join(dir, "data"),
		"--web.listen-address="+addr, "--log.level=warn")
	require.NoError(t, cmd.Start())
	t.Cleanup(func() { cancel(); _ = cmd.Wait() })
	require.Eventually(t, func() bool {
		res, err := http.Get("http://" + addr + "/-/ready")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == 200
	}, 30*time.Second, 50*time.Millisecond)
	return "http://" + addr
}

// query returns the single value of a PromQL query, or NaN.
func query(t *testing.T, prom, q string) float64 {
	t.Helper()
	res, err := http.Get(prom + "/api/v1/query?query=" + url.QueryEscape(q))
	require.NoError(t, err)
	defer res.Body.Close()
	var body struct {
		Data struct {
			Result []struct {
				Value [2]any `json:"value"`
			} `json:"result"`
		} `json:"data"`
	}
	require.NoError(t, json.NewDecoder(res.Body).Decode(&body))
	if len(body.Data.Result) != 1 {
		return math.NaN()
	}
	v, err := strconv.ParseFloat(body.Data.Result[0].Value[1].(string), 64)
	require.NoError(t, err)
	return v
}

// TestAvailabilityInPrometheus: a real Prometheus scrapes the daemon while the
// shop fails a known share of runs; PromQL's availability matches probe sla
// and the injected share.
func TestAvailabilityInPrometheus(t *testing.T) {
	_, shop := demotest.Start(t, demoapp.Faults{Routes: map[string]demoapp.RouteFaults{"api.health": {ErrorRate: 0.25}}})
	s := loadSuite(t, shop, "  - {name: health, kind: http, schedule: {interval: 40ms, jitter: 5ms}, request: {url: /api/health}, expect: {status: 200}}\n")
	hist := openStore(t, filepath.Join(t.TempDir(), "h.db"))
	m, err := New(Config{Suite: s, Recheck: 40 * time.Millisecond}, scenarios.NewRunner(nil), hist, nil)
	require.NoError(t, err)
	daemon := httptest.NewServer(m.Handler())
	defer daemon.Close()
	prom := startPrometheus(t, daemon.Listener.Addr().String())

	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx, nil) }()
	const total = `sum(probe_runs_total{scenario="health",status=~"pass|fail|timeout"})`
	require.Eventually(t, func() bool { return query(t, prom, total) >= 150 }, 90*time.Second, 200*time.Millisecond)
	cancel()
	require.NoError(t, <-done)
	// One more scrape after the last run, so Prometheus has every run.
	runs := count(t, hist, store.Query{Scenario: "health"})
	require.Eventually(t, func() bool { return query(t, prom, total) == float64(runs.Pass+runs.Fail+runs.Timeout) },
		30*time.Second, 200*time.Millisecond)

	promAvail := query(t, prom, `sum(probe_runs_total{scenario="health",status="pass"}) / `+total)
	rep, err := SLA(t.Context(), hist, "dev", time.Hour, time.Now(), 0)
	require.NoError(t, err)
	require.Len(t, rep.Checks, 1)
	assert.InDelta(t, rep.Checks[0].Availability, promAvail, 1e-9, "PromQL over the metrics equals probe sla over the history")
	gauge := query(t, prom, `probe_sla_availability_ratio{scenario="health",window="1h"}`)
	assert.InDelta(t, rep.Checks[0].Availability, gauge, 0.02, "the SLA gauge, as last scraped")
	n := float64(runs.Pass + runs.Fail)
	assert.InDelta(t, 0.75, promAvail, 5*math.Sqrt(0.25*0.75/n), "the injected share of failures, within 5σ")
}
