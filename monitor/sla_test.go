package monitor

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/probe-dev/probe/results"
	"github.com/probe-dev/probe/store"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSLAOutages(t *testing.T) {
	h := openStore(t, filepath.Join(t.TempDir(), "h.db"))
	now := time.Date(2026, 11, 20, 12, 0, 0, 0, time.UTC)
	at := func(min int) time.Time { return now.Add(time.Duration(min-60) * time.Minute) }
	add := func(scenario string, min int, st results.Status, step string) {
		require.NoError(t, h.Add(t.Context(), store.Record{Scenario: scenario, Env: "prod", Start: at(min), Status: st, FailingStep: step, Reason: "r " + step}))
	}
	// checkout: pass, outage of 3 runs (one infra_error in between), pass, then an ongoing outage.
	add("checkout", 0, results.Pass, "")
	add("checkout", 10, results.Fail, "place order")
	add("checkout", 12, results.InfraError, "")
	add("checkout", 14, results.Timeout, "place order")
	add("checkout", 16, results.Fail, "wait_hidden #spinner")
	add("checkout", 20, results.Pass, "")
	add("checkout", 50, results.Fail, "navigate /")
	add("health", 5, results.Pass, "")
	add("health", 6, results.Pass, "")
	require.NoError(t, h.Add(t.Context(), store.Record{Scenario: "health", Env: "dev", Start: at(7), Status: results.Fail}))
	add("health", -10, results.Fail, "too old") // before the window

	rep, err := SLA(t.Context(), h, "prod", time.Hour, now, 0.9)
	require.NoError(t, err)
	require.Len(t, rep.Checks, 2)
	co := rep.Checks[0]
	assert.Equal(t, results.CheckSLA{Scenario: "checkout", Pass: 2, Fail: 3, Timeout: 1, InfraError: 1, Availability: 2.0 / 6.0,
		BudgetRemaining: co.BudgetRemaining}, co)
	assert.InDelta(t, 1-(1-2.0/6.0)/0.1, co.BudgetRemaining, 1e-9)
	assert.Equal(t, 1.0, rep.Checks[1].Availability, "dev's failure and the run before the window are not counted")

	require.Len(t, rep.Outages, 2)
	first := rep.Outages[0]
	assert.True(t, at(10).Equal(first.Start))
	assert.True(t, at(20).Equal(first.End), "ends at the next pass; the infra_error neither ended nor extended it")
	assert.Equal(t, 10*time.Minute, first.Duration)
	assert.Equal(t, 3, first.Runs)
	assert.Equal(t, "place order", first.FailingStep)
	assert.False(t, first.Ongoing)
	second := rep.Outages[1]
	assert.True(t, second.Ongoing)
	assert.True(t, now.Equal(second.End))
	assert.Equal(t, "navigate /", second.FailingStep)
}
