package main

import (
	"bufio"
	"context"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/probe-dev/probe/demoapp"
	"github.com/probe-dev/probe/demoapp/demotest"
	"github.com/probe-dev/probe/scenarios"
	"github.com/prometheus/common/expfmt"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func get(t *testing.T, url string) string {
	t.Helper()
	res, err := http.Get(url)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	require.Equal(t, 200, res.StatusCode, url)
	return string(b)
}

// TestRunDaemon runs `probe run` on the example suite against the demo shop:
// metrics, status page (screenshot in Chromium), then `probe sla` on its
// history and `probe rules`.
func TestRunDaemon(t *testing.T) {
	_, url := demotest.Start(t, demoapp.Faults{})
	dir := t.TempDir()
	history := filepath.Join(dir, "history.db")
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"run", "--suite", "../../examples/shop", "--env", "dev", "--listen", "127.0.0.1:0",
			"--history", history, "--artifacts", filepath.Join(dir, "artifacts"), "--base-url", "dev=" + url}, pw, io.Discard)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	require.NoError(t, err)
	go io.Copy(io.Discard, pr) //nolint:errcheck // the rest of its output
	_, base, ok := strings.Cut(strings.TrimSpace(line), "status page at ")
	require.True(t, ok, line)

	require.Eventually(t, func() bool {
		m := get(t, base+"metrics")
		return strings.Contains(m, `probe_success{env="dev",scenario="checkout"} 1`) && strings.Contains(m, `probe_success{env="dev",scenario="health"} 1`)
	}, 120*time.Second, 200*time.Millisecond)
	metrics := get(t, base+"metrics")
	for _, want := range []string{
		`probe_runs_total{env="dev",scenario="health",status="pass"}`,
		`probe_duration_seconds{env="dev",scenario="catalogue"}`,
		`probe_http_duration_seconds{env="dev",phase="connect",scenario="health"}`,
		`probe_step_duration_seconds_bucket{env="dev",scenario="checkout",step="place order"`,
		`probe_browser_web_vital_lcp_seconds{env="dev",scenario="checkout"}`,
		`probe_sla_availability_ratio{env="dev",scenario="health",window="30d"} 1`,
		`probe_slo_error_budget_remaining_ratio{env="dev",scenario="health"} 1`,
		`probe_check_info{env="dev",kind="browser",scenario="checkout"} 1`,
	} {
		assert.Contains(t, metrics, want)
	}
	// Every daemon series the dashboard and the rules name moved in this run.
	isDaemon := func(name string) bool { return !strings.HasPrefix(name, "probe_load_") }
	assertSeriesMove(t, usedSeries(t), isDaemon, families(t, []byte(metrics), expfmt.NewFormat(expfmt.TypeTextPlain)))
	assert.Equal(t, "ready\n", get(t, base+"readyz"))
	page := get(t, base)
	assert.Contains(t, page, "<strong>checkout</strong> on <strong>dev</strong>")

	// The status page, as a person sees it.
	actx, acancel := chromedp.NewExecAllocator(t.Context(), scenarios.AllocatorOptions(mustLook(t), t.TempDir())...)
	defer acancel()
	bctx, bcancel := chromedp.NewContext(actx)
	defer bcancel()
	png, err := chromedp.Run(bctx, func() chromedp.Action[[]byte] {
		return func(ctx context.Context, tg *chromedp.Target) ([]byte, error) {
			if err := chromedp.Do(ctx, chromedp.Navigate(base), chromedp.WaitVisible(chromedp.CSS(".check"))); err != nil {
				return nil, err
			}
			return chromedp.FullScreenshot(100)(ctx, tg)
		}
	}())
	require.NoError(t, err)
	shot := filepath.Join(os.TempDir(), "probe-status-page.png")
	require.NoError(t, os.WriteFile(shot, png, 0o644))
	t.Logf("status page screenshot: %s", shot)

	cancel()
	require.Equal(t, 0, <-done, "SIGTERM-like stop is clean")

	code, stdout, stderr := runProbe(t, "sla", "--env", "dev", "--window", "1h", "--history", history, "--suite", "../../examples/shop", "--format", "md")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "## SLA of dev over 1h0m0s")
	assert.Contains(t, stdout, "| checkout | 100.000% |")
	assert.Contains(t, stdout, "### Outages (0)")
	code, _, stderr = runProbe(t, "sla", "--env", "prod", "--history", history)
	assert.Equal(t, 2, code)
	assert.Contains(t, stderr, `has no runs on "prod"`)

	code, stdout, _ = runProbe(t, "rules", "--suite", "../../examples/shop")
	require.Equal(t, 0, code)
	assert.Contains(t, stdout, "alert: ProbeErrorBudgetBurn")
}

func mustLook(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("chromium")
	require.NoError(t, err, "run 'make setup' to install chromium")
	return p
}
