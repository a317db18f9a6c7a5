package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/probe-dev/probe/demoapp"
	"github.com/probe-dev/probe/demoapp/demotest"
	"github.com/probe-dev/probe/results"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func readDrill(t *testing.T, path string) results.Drill {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	var d results.Drill
	require.NoError(t, json.Unmarshal(data, &d))
	return d
}

// TestDrill runs drills against demo shops with known capacities: K requests
// in service for a fixed service time hold K/service time per second.
func TestDrill(t *testing.T) {
	suitePath := threeRouteSuite(t, "three", "10/s", 100)
	capacity := func(route string, k int, service time.Duration) demoapp.Faults {
		return demoapp.Faults{Routes: map[string]demoapp.RouteFaults{route: {Capacity: k, ServiceTime: demoapp.Duration(service)}}}
	}
	tests := []struct {
		name   string
		faults demoapp.Faults
		args   []string
		code   int
		check  func(t *testing.T, d results.Drill)
	}{
		{"finds the capacity", capacity("*", 4, 20*time.Millisecond), []string{"--expect", "150/s"}, 0, func(t *testing.T, d results.Drill) {
			// True capacity: 4 / 20ms = 200/s.
			assert.InEpsilon(t, 200, d.HighestGood, 0.15, "highest good %.1f/s", d.HighestGood)
			assert.Equal(t, results.LimitTarget, d.Limit)
			require.NotNil(t, d.USL)
			var measured float64
			for _, s := range d.Steps {
				measured = max(measured, s.Throughput)
			}
			// A smooth USL curve through a hard ceiling overshoots it, the
			// more the noisier the steps (a busy machine: +27% seen, +1-4%
			// quiet); the fit's own residual says how far it may, so the
			// bound is three of its RMS errors, at least 20%. The range
			// around the true 200/s still fails a fit gone wrong.
			tol := max(0.2, 3*d.USL.RelErrRMS)
			assert.InEpsilon(t, measured, d.USL.PeakX, tol, "USL peak %.1f/s, measured %.1f/s, fit RMS error %.1f%%", d.USL.PeakX, measured, 100*d.USL.RelErrRMS)
			assert.InDelta(t, 200, d.USL.PeakX, 100, "USL peak %.1f/s against the true 200/s", d.USL.PeakX)
			assert.InDelta(t, d.HighestGood/150, d.Headroom, 1e-9)
			assert.Positive(t, d.Knee)
		}},
		{"names the one slow route", capacity("api.product", 1, 20*time.Millisecond), nil, 0, func(t *testing.T, d results.Drill) {
			assert.Equal(t, "product", d.Bottleneck)
			assert.Regexp(t, `^(its p95 .* against the SLO|none broke the SLO; the slowest)`, d.BottleneckWhy)
			assert.Equal(t, results.LimitTarget, d.Limit)
		}},
		{"expectation not met", capacity("*", 4, 20*time.Millisecond), []string{"--expect", "400/s"}, 1, func(t *testing.T, d results.Drill) {
			assert.False(t, d.Passed)
			assert.Less(t, d.Headroom, 1.0)
		}},
		{"stops at the hard error ceiling", demoapp.Faults{Routes: map[string]demoapp.RouteFaults{"*": {ErrorRate: 0.5}}}, nil, 1, func(t *testing.T, d results.Drill) {
			assert.Equal(t, results.LimitErrors, d.Limit)
			assert.Len(t, d.Steps, 1, "stopped at once")
		}},
		{"generator limit is not the target's", demoapp.Faults{Routes: map[string]demoapp.RouteFaults{"*": {Latency: demoapp.Duration(20 * time.Millisecond)}}},
			[]string{"--max-workers", "1"}, 3, func(t *testing.T, d results.Drill) {
				assert.Equal(t, results.LimitGenerator, d.Limit)
				assert.Empty(t, d.Bottleneck, "the target is not blamed")
			}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, url := demotest.Start(t, tt.faults)
			out := t.TempDir()
			args := append([]string{"drill", "three", "--suite", suitePath, "--base-url", url, "--start", "50/s", "--step", "50/s",
				"--step-duration", "2s", "--slo", "p95=100ms,errors=1%", "--max", "600/s", "--out", out}, tt.args...)
			code, stdout, stderr := runProbe(t, args...)
			assert.Equal(t, tt.code, code, "%s\n%s", stdout, stderr)
			tt.check(t, readDrill(t, filepath.Join(out, "three-dev-drill.json")))
		})
	}
}

func TestDrillBadFlags(t *testing.T) {
	suitePath := threeRouteSuite(t, "three", "10/s", 100)
	for _, tt := range []struct {
		args []string
		err  string
	}{
		{[]string{"--start", "fast"}, "--start: want a rate like 50/s"},
		{[]string{"--slo", "p95=soon"}, `--slo "p95=soon"`},
		{[]string{"--slo", "latency=1s"}, `unknown key "latency"`},
		{[]string{"--factor", "0.5"}, "--factor 0.5: must be above 1"},
	} {
		code, _, stderr := runProbe(t, append([]string{"drill", "three", "--suite", suitePath}, tt.args...)...)
		assert.Equal(t, 2, code, stderr)
		assert.Contains(t, stderr, tt.err)
	}
}

// TestDrillJourneys drills journeys: the rate is of arrivals, and the
// bottleneck named is the step whose route holds the least. Adding to the
// cart holds 2 at a time for 20 ms (100/s, so about 100 arrivals a second:
// each journey adds once); the other routes are free.
func TestDrillJourneys(t *testing.T) {
	suitePath := suiteFile(t, `
environments:
  dev: {base_url: "http://127.0.0.1:1"}
loadtests:
  - name: shop
    targets:
      - name: buy
        think: {fixed: 5ms}
        journey:
          - {name: list, request: {url: /api/products}}
          - {name: view, request: {url: "/api/products/{{randInt 1 20}}"}}
          - name: add
            request: {method: POST, url: /api/cart, headers: {Content-Type: application/json}, body: '{"product_id": 2, "qty": 1}'}
            expect: {status: 200}
    profile: [{constant: {rate: 10/s, duration: 1s}}]
    limits: {max_duration: 10s, max_requests: 100}
`)
	_, url := demotest.Start(t, demoapp.Faults{Routes: map[string]demoapp.RouteFaults{"api.cart.add": {Capacity: 2, ServiceTime: demoapp.Duration(20 * time.Millisecond)}}})
	out := t.TempDir()
	code, stdout, stderr := runProbe(t, "drill", "shop", "--suite", suitePath, "--base-url", url, "--start", "40/s", "--step", "40/s",
		"--step-duration", "2s", "--slo", "p95=100ms,errors=1%", "--max", "400/s", "--out", out)
	require.Equal(t, 0, code, "%s\n%s", stdout, stderr)
	assert.Contains(t, stderr, "step 40.0/s: 80 of 80 arrivals started")
	d := readDrill(t, filepath.Join(out, "shop-dev-drill.json"))
	assert.Equal(t, results.LimitTarget, d.Limit)
	assert.Equal(t, "buy: add", d.Bottleneck, "the step whose route broke the SLO first")
	assert.InDelta(t, 100, d.HighestGood, 45, "highest good %.1f arrivals/s against the cart's 100/s", d.HighestGood)
	for _, st := range d.Steps {
		if st.OK {
			assert.InEpsilon(t, st.Rate, st.Achieved, 0.05, "at %.0f/s the arrivals, not the steps' requests, are what was achieved", st.Rate)
			assert.InEpsilon(t, 3*st.Rate, st.Throughput, 0.25, "at %.0f/s each arrival sent its 3 steps", st.Rate)
		}
	}
}
