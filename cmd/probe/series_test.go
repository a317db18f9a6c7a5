package main

import (
	"bytes"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/probe-dev/probe/demoapp"
	"github.com/probe-dev/probe/demoapp/demotest"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/prometheus/promql/parser"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

// usedSeries are the raw metric names the Grafana dashboard and the
// generated Prometheus rules select (recording rules' own names aside).
func usedSeries(t *testing.T) map[string]bool {
	t.Helper()
	exprs := []string{}
	for _, q := range dashboardQueries(t, "../../deploy/grafana/probe-dashboard.json") {
		exprs = append(exprs, q)
	}
	data, err := os.ReadFile("../../deploy/prometheus/rules.yml")
	require.NoError(t, err)
	var rules struct {
		Groups []struct {
			Rules []struct {
				Expr string `yaml:"expr"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	require.NoError(t, yaml.Unmarshal(data, &rules))
	for _, g := range rules.Groups {
		for _, r := range g.Rules {
			exprs = append(exprs, r.Expr)
		}
	}
	used := map[string]bool{}
	for _, q := range exprs {
		expr, err := parser.ParseExpr(q)
		require.NoError(t, err, q)
		parser.Inspect(expr, func(n parser.Node, _ []parser.Node) error {
			if vs, ok := n.(*parser.VectorSelector); ok && !strings.Contains(vs.Name, ":") {
				used[vs.Name] = true
			}
			return nil
		})
	}
	return used
}

// families decodes metrics in the text or the delimited protobuf format.
func families(t *testing.T, data []byte, format expfmt.Format) map[string]*dto.MetricFamily {
	t.Helper()
	out := map[string]*dto.MetricFamily{}
	dec := expfmt.NewDecoder(bytes.NewReader(data), format)
	for {
		var mf dto.MetricFamily
		err := dec.Decode(&mf)
		if errors.Is(err, io.EOF) {
			return out
		}
		require.NoError(t, err)
		out[mf.GetName()] = &mf
	}
}

// moved reports whether a family has a series that moved: a counter or a
// histogram that counted something, a gauge that is set.
func moved(mf *dto.MetricFamily) bool {
	for _, m := range mf.GetMetric() {
		switch {
		case m.GetCounter() != nil && m.GetCounter().GetValue() > 0,
			m.GetHistogram() != nil && m.GetHistogram().GetSampleCount() > 0,
			m.GetGauge() != nil:
			return true
		}
	}
	return false
}

// assertSeriesMove checks every used name that mine says belongs to one
// real run against what it exposed: histograms by their family name (the
// dashboard selects _bucket).
func assertSeriesMove(t *testing.T, used map[string]bool, mine func(string) bool, got map[string]*dto.MetricFamily) {
	t.Helper()
	checked := 0
	for name := range used {
		if !mine(name) {
			continue
		}
		family := strings.TrimSuffix(strings.TrimSuffix(strings.TrimSuffix(name, "_bucket"), "_count"), "_sum")
		mf, ok := got[family]
		if !assert.True(t, ok, "%s is on the dashboard or in the rules, but a real run does not expose it", name) {
			continue
		}
		assert.True(t, moved(mf), "%s is exposed but never moved in a real run", name)
		checked++
	}
	assert.Greater(t, checked, 3)
}

// TestLoadSeriesMove: every probe_load_* series the dashboard and the rules
// name is pushed at the end of a real load test to a real Pushgateway, and
// moved: a route that
// fails half its requests, and one worker against a 40 ms route at 100/s,
// so sends are late.
func TestLoadSeriesMove(t *testing.T) {
	_, url := demotest.Start(t, demoapp.Faults{Routes: map[string]demoapp.RouteFaults{
		"api.health":  {ErrorRate: 0.5},
		"api.product": {Latency: demoapp.Duration(40e6)}, // one worker holds half of 100/s
	}})
	suitePath := filepath.Join(t.TempDir(), "s.yaml")
	require.NoError(t, os.WriteFile(suitePath, []byte(`
environments:
  dev: {base_url: "`+url+`"}
loadtests:
  - name: moves
    targets: [{name: health, path: /api/health}, {name: product, path: /api/products/1}]
    profile: [{constant: {rate: 100/s, duration: 1s}}]
    limits: {max_duration: 20s, max_requests: 100}
`), 0o600))
	gw := startPushgateway(t)
	code, stdout, stderr := runProbe(t, "load", "moves", "--env", "dev", "--suite", suitePath, "--out", t.TempDir(),
		"--max-workers", "1", "--pushgateway", "http://"+gw)
	require.Equal(t, exitCouldNotRun, code, "one worker sends late: the generator is the limit; stdout: %s\nstderr: %s", stdout, stderr)
	// What the Pushgateway serves Prometheus, as Prometheus would scrape it.
	pushed := get(t, "http://"+gw+"/metrics")
	isLoad := func(name string) bool { return strings.HasPrefix(name, "probe_load_") }
	assertSeriesMove(t, usedSeries(t), isLoad, families(t, []byte(pushed), expfmt.NewFormat(expfmt.TypeTextPlain)))
}
