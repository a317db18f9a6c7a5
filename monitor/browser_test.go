package monitor

import (
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/probe-dev/probe/demoapp"
	"github.com/probe-dev/probe/demoapp/demotest"
	"github.com/probe-dev/probe/scenarios"
	"github.com/probe-dev/probe/store"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestKilledBrowserDoesNotDentTheSLA: the browser dies under a flow; that run
// is infra_error, the next runs pass on a new browser, and availability stays
// whole.
func TestKilledBrowserDoesNotDentTheSLA(t *testing.T) {
	shop, url := demotest.Start(t, demoapp.Faults{Routes: map[string]demoapp.RouteFaults{"product": {Latency: demoapp.Duration(700 * time.Millisecond)}}})
	s := loadSuite(t, url, `
  - name: flow
    kind: browser
    schedule: {interval: 100ms, jitter: 10ms}
    steps:
      - navigate: /products/1
      - wait_visible: "#add-to-cart"
`)
	b, err := scenarios.NewBrowser("", nil)
	require.NoError(t, err)
	defer b.Close()
	hist := openStore(t, filepath.Join(t.TempDir(), "h.db"))
	m, err := New(Config{Suite: s}, scenarios.NewRunner(nil, scenarios.WithBrowser(b)), hist, nil)
	require.NoError(t, err)

	killed := false
	runUntil(t, m, func() bool {
		c := count(t, hist, store.Query{})
		if !killed && c.Pass >= 1 && shop.Stats()["product"].InService > 0 {
			if pid := b.PID(); pid > 0 {
				require.NoError(t, syscall.Kill(pid, syscall.SIGKILL))
				killed = true
			}
		}
		return killed && c.InfraError >= 1 && c.Pass >= 3
	})
	c := count(t, hist, store.Query{})
	assert.Zero(t, c.Fail+c.Timeout, "the target never failed")
	assert.Equal(t, 1.0, c.Availability())
	assert.Equal(t, 1.0, testutil.ToFloat64(m.metrics.sla.WithLabelValues("flow", "dev", "1h")))
	assert.GreaterOrEqual(t, testutil.ToFloat64(m.metrics.runs.WithLabelValues("flow", "dev", "infra_error")), 1.0, "counted, not held against the target")
	assert.GreaterOrEqual(t, b.Starts(), 2)
}
