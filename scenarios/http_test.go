package scenarios

import (
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/probe-dev/probe/demoapp"
	"github.com/probe-dev/probe/demoapp/demotest"
	"github.com/probe-dev/probe/results"
	"github.com/probe-dev/probe/suite"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// loadScenario loads one scenario written in the suite format, against url.
func loadScenario(t *testing.T, url, scenario string) (*suite.Scenario, Target) {
	t.Helper()
	text := "environments:\n  dev: {base_url: \"" + url + "\"}\nscenarios:\n" + scenario
	s, err := suite.LoadBytes("test.yaml", []byte(text), suite.WithLookupEnv(func(string) (string, bool) { return "", false }))
	require.NoError(t, err)
	tg, err := TargetFor(s, "dev", "")
	require.NoError(t, err)
	return s.Scenarios[0], tg
}

func TestHTTPCheckAgainstShop(t *testing.T) {
	slow := demoapp.Faults{Routes: map[string]demoapp.RouteFaults{"api.health": {Latency: demoapp.Duration(150 * time.Millisecond)}}}
	tests := []struct {
		name     string
		faults   demoapp.Faults
		scenario string
		status   results.Status
		reason   string
	}{
		{name: "healthy", scenario: `
  - name: s
    kind: http
    request: {url: /api/health}
    expect:
      status: 200
      headers: {Content-Type: application/json}
      json: [{path: status, equals: ok}, {path: products, equals: "20"}]
      body_regex: '"status":\s*"ok"'
`, status: results.Pass},
		{name: "no expectations means 2xx", scenario: "  - {name: s, kind: http, request: {url: /api/products/1}}\n", status: results.Pass},
		{name: "404 without expectations", scenario: "  - {name: s, kind: http, request: {url: /api/products/99}}\n",
			status: results.Fail, reason: "status 404, want 2xx"},
		{name: "outage", faults: demoapp.Faults{Outage: demoapp.Outage503},
			scenario: "  - {name: s, kind: http, request: {url: /api/health}, expect: {status: 200}}\n",
			status:   results.Fail, reason: "status 503, want 200"},
		{name: "every broken expectation is named", scenario: `
  - name: s
    kind: http
    request: {url: /api/products/2}
    expect:
      status: [200, 201]
      headers: {X-Missing: x, Content-Type: text/html}
      body_contains: [Espresso]
      body_lacks: [Teapot]
      json: [{path: price, equals: "1"}, {path: nope, exists: true}, {path: id, regex: '^9$'}]
`, status: results.Fail, reason: `header Content-Type is "application/json", want it to contain "text/html"; ` +
			`header X-Missing missing, want it to contain "x"; body lacks "Espresso"; body contains "Teapot", which it must not; ` +
			`json price is 8, want 1; json nope missing; json id is 2, want a match of /^9$/`},
		{name: "too slow", faults: slow,
			scenario: "  - {name: s, kind: http, request: {url: /api/health}, expect: {max_latency: 50ms}}\n",
			status:   results.Fail, reason: "took "},
		{name: "timeout", faults: demoapp.Faults{Stall: demoapp.Duration(5 * time.Second)},
			scenario: "  - {name: s, kind: http, timeout: 200ms, request: {url: /api/health}}\n",
			status:   results.Timeout, reason: "timed out"},
		{name: "POST with body", scenario: `
  - name: s
    kind: http
    request:
      method: POST
      url: /api/cart
      headers: {Content-Type: application/json}
      body: '{"product_id": 3, "qty": 2}'
    expect: {json: [{path: count, equals: "2"}]}
`, status: results.Pass},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, url := demotest.Start(t, tt.faults)
			sc, tg := loadScenario(t, url, tt.scenario)
			run := NewRunner(nil).Run(t.Context(), sc, tg)
			assert.Equal(t, tt.status, run.Status, run.Reason)
			if tt.reason == "" {
				assert.Empty(t, run.Reason)
			} else {
				assert.Contains(t, run.Reason, tt.reason)
			}
			require.Len(t, run.Attempts, 1)
			require.Len(t, run.Last().Steps, 1)
			assert.Equal(t, tt.status, run.Last().Steps[0].Status)
			if tt.status != results.Timeout {
				h := run.Last().HTTP
				require.NotNil(t, h)
				assert.Positive(t, h.Processing, "time to first byte is measured")
				assert.Positive(t, h.Connect, "a fresh connection per check")
			}
		})
	}
}

func TestHTTPCheckRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	sc, tg := loadScenario(t, "http://"+addr, "  - {name: s, kind: http, request: {url: /}}\n")
	run := NewRunner(nil).Run(t.Context(), sc, tg)
	assert.Equal(t, results.Fail, run.Status)
	assert.Contains(t, run.Reason, "dial: connect: connection refused")
}

func TestHTTPCheckRetriesAndFlaky(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			http.Error(w, "warming up", http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(srv.Close)
	sc, tg := loadScenario(t, srv.URL, "  - {name: s, kind: http, retries: 2, request: {url: /}}\n")
	run := NewRunner(nil).Run(t.Context(), sc, tg)
	assert.Equal(t, results.Pass, run.Status)
	assert.True(t, run.Flaky)
	require.Len(t, run.Attempts, 2, "stops at the first pass")
	assert.Equal(t, results.Fail, run.Attempts[0].Status)
	assert.Equal(t, "status 503, want 2xx", run.Attempts[0].Reason)
}

func TestHTTPCheckRedirects(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/old", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/new", http.StatusFound) })
	mux.HandleFunc("/new", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write([]byte("arrived")) })
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	tests := []struct {
		name, scenario string
		redirects      int
	}{
		{"followed", "  - {name: s, kind: http, request: {url: /old}, expect: {status: 200, body_contains: arrived}}\n", 1},
		{"not followed", "  - {name: s, kind: http, request: {url: /old, follow_redirects: false}, expect: {status: 302, headers: {Location: /new}}}\n", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc, tg := loadScenario(t, srv.URL, tt.scenario)
			run := NewRunner(nil).Run(t.Context(), sc, tg)
			assert.Equal(t, results.Pass, run.Status, run.Reason)
			assert.Equal(t, tt.redirects, run.Last().HTTP.Redirects)
		})
	}
}

func TestHTTPCheckTLSDaysLeft(t *testing.T) {
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(srv.Close)
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	t.Cleanup(plain.Close)
	trust := srv.Client().Transport.(*http.Transport).TLSClientConfig
	days := int(time.Until(srv.Certificate().NotAfter).Hours() / 24)
	tests := []struct {
		name, url string
		want      int
		status    results.Status
		reason    string
	}{
		{"enough days", srv.URL, 30, results.Pass, ""},
		{"too few days", srv.URL, days + 10, results.Fail, "TLS certificate expires in "},
		{"no TLS at all", plain.URL, 1, results.Fail, "no TLS certificate, want one valid 1 more days"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc, tg := loadScenario(t, tt.url, fmt.Sprintf("  - {name: s, kind: http, request: {url: /}, expect: {tls_days_left: %d}}\n", tt.want))
			tg.TLS = trust
			run := NewRunner(nil).Run(t.Context(), sc, tg)
			assert.Equal(t, tt.status, run.Status, run.Reason)
			assert.Contains(t, run.Reason, tt.reason)
			if tt.url == srv.URL {
				require.NotNil(t, run.Last().HTTP.TLSDaysLeft)
				assert.Equal(t, days, *run.Last().HTTP.TLSDaysLeft)
				assert.Positive(t, run.Last().HTTP.TLS, "the handshake is timed")
			}
		})
	}

	// Without the test CA the certificate is not trusted: the check fails and says why.
	sc, tg := loadScenario(t, srv.URL, "  - {name: s, kind: http, request: {url: /}}\n")
	run := NewRunner(nil).Run(t.Context(), sc, tg)
	assert.Equal(t, results.Fail, run.Status)
	assert.Contains(t, run.Reason, "certificate")
}

// TestHTTPCheckSaysWhenTheBodyWasCut: a body longer than what a check reads
// is judged on its start, and a miss says so.
func TestHTTPCheckSaysWhenTheBodyWasCut(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		chunk := make([]byte, 1<<20)
		for i := range chunk {
			chunk[i] = 'a'
		}
		for range (maxBody >> 20) + 1 {
			_, _ = w.Write(chunk)
		}
		_, _ = w.Write([]byte("needle"))
	}))
	defer srv.Close()
	sc, tg := loadScenario(t, srv.URL, "  - {name: s, kind: http, request: {url: /big}, expect: {body_contains: needle, body_regex: 'needle$'}}\n")
	run := NewRunner(nil).Run(t.Context(), sc, tg)
	assert.Equal(t, results.Fail, run.Status)
	assert.Contains(t, run.Reason, `body lacks "needle" (only its first 10 MiB were read)`)
	assert.Contains(t, run.Reason, `body does not match /needle$/ (only its first 10 MiB were read)`)
}
