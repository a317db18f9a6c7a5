package monitor

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/probe-dev/probe/demoapp"
	"github.com/probe-dev/probe/demoapp/demotest"
	"github.com/probe-dev/probe/results"
	"github.com/probe-dev/probe/scenarios"
	"github.com/probe-dev/probe/store"
	"github.com/probe-dev/probe/suite"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// envelope is what the local Sentry endpoint decoded from one request.
type envelope struct {
	event       map[string]any
	attachments []string // filenames
}

// sentryEndpoint receives sentry-go's envelopes over real HTTP.
type sentryEndpoint struct {
	mu   sync.Mutex
	envs []envelope
}

func (s *sentryEndpoint) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		gz, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, err.Error(), 400)
			return
		}
		body = gz
	}
	data, err := io.ReadAll(body)
	if err != nil {
		http.Error(w, err.Error(), 400)
		return
	}
	// An envelope: a header line, then (item header, payload) pairs.
	rd := bufio.NewReader(bytes.NewReader(data))
	if _, err := rd.ReadBytes('\n'); err != nil {
		http.Error(w, "no envelope header", 400)
		return
	}
	var env envelope
	for {
		line, err := rd.ReadBytes('\n')
		if len(bytes.TrimSpace(line)) == 0 && err != nil {
			break
		}
		var item struct {
			Type     string `json:"type"`
			Length   int    `json:"length"`
			Filename string `json:"filename"`
		}
		if json.Unmarshal(line, &item) != nil {
			http.Error(w, "bad item header", 400)
			return
		}
		payload := make([]byte, item.Length)
		if item.Length > 0 {
			if _, err := io.ReadFull(rd, payload); err != nil {
				http.Error(w, "short item", 400)
				return
			}
			_, _ = rd.ReadByte() // the newline after a payload
		} else {
			payload, _ = rd.ReadBytes('\n')
		}
		switch item.Type {
		case "event":
			_ = json.Unmarshal(payload, &env.event)
		case "attachment":
			env.attachments = append(env.attachments, item.Filename)
		}
	}
	s.mu.Lock()
	if env.event != nil {
		s.envs = append(s.envs, env)
	}
	s.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

func (s *sentryEndpoint) events() []envelope {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]envelope(nil), s.envs...)
}

// episodes is a runner whose runs fail in two episodes, with a flaky pass and
// an infra error between them.
type episodes struct {
	mu   sync.Mutex
	n    int
	shot string
}

func (e *episodes) Run(_ context.Context, sc *suite.Scenario, t scenarios.Target) results.Run {
	e.mu.Lock()
	i := e.n
	e.n++
	e.mu.Unlock()
	script := []results.Status{results.Pass, results.Fail, results.Fail, results.Timeout, results.Pass, results.Pass,
		results.InfraError, results.Fail, results.Fail, results.Pass}
	st := results.Pass
	if i < len(script) {
		st = script[i]
	}
	run := results.Run{Scenario: sc.Name, Env: t.Env, Kind: "browser", Start: time.Now(), Status: st, Reason: "text of #thanks is \"Oops\"",
		Attempts: []results.Attempt{{Status: st, TraceID: "4bf92f3577b34da6a3ce929d0e0e4736", Artifacts: []string{e.shot},
			Steps: []results.Step{{Name: "navigate /", Status: results.Pass}, {Name: "assert_text #thanks", Status: st}}}}}
	if i == 5 { // a pass after a failed attempt
		run.Flaky = true
		run.Attempts = append([]results.Attempt{{Status: results.Fail}}, run.Attempts...)
	}
	return run
}

func TestSentryOneEventPerEpisode(t *testing.T) {
	ep := &sentryEndpoint{}
	srv := httptest.NewServer(ep)
	defer srv.Close()
	dsn := strings.Replace(srv.URL, "http://", "http://publickey@", 1) + "/42"
	notifier, err := NewSentry(dsn, "probe-test", 0, nil)
	require.NoError(t, err)

	shot := filepath.Join(t.TempDir(), "failure.png")
	require.NoError(t, os.WriteFile(shot, []byte("\x89PNG\r\n\x1a\nfake"), 0o600))
	hist := openStore(t, filepath.Join(t.TempDir(), "h.db"))
	s := loadSuite(t, "http://127.0.0.1:1", "  - {name: checkout, kind: http, schedule: {interval: 10ms, jitter: 1ms}, request: {url: /}}\n")
	r := &episodes{shot: shot}
	m, err := New(Config{Suite: s, Recheck: 10 * time.Millisecond, Notifier: notifier}, r, hist, nil)
	require.NoError(t, err)
	runUntil(t, m, func() bool { return count(t, hist, store.Query{}).Pass >= 6 })
	notifier.Close(5 * time.Second)

	events := ep.events()
	require.Len(t, events, 2, "two failing episodes, no event for the flaky pass or the infra error")
	for _, e := range events {
		assert.Equal(t, []any{"probe", "checkout", "dev", "assert_text #thanks"}, e.event["fingerprint"])
		assert.Equal(t, "dev", e.event["environment"])
		tags, _ := e.event["tags"].(map[string]any)
		assert.Equal(t, "assert_text #thanks", tags["step"])
		contexts, _ := e.event["contexts"].(map[string]any)
		probe, _ := contexts["probe"].(map[string]any)
		assert.Equal(t, "4bf92f3577b34da6a3ce929d0e0e4736", probe["trace_id"])
		crumbs, _ := e.event["breadcrumbs"].([]any)
		assert.Len(t, crumbs, 2, "the steps as breadcrumbs")
		assert.Equal(t, []string{"failure.png"}, e.attachments)
		assert.Contains(t, e.event["message"], "checkout on dev failed at assert_text #thanks")
	}
}

// TestSentryNamesTheFailingStepOfAFlow: a real HTTP flow against the demo
// shop fails at one step, and its cleanup fails after it; the event names
// the first failure, not the cleanup, carries the run's trace id, and has
// every step as a breadcrumb.
func TestSentryNamesTheFailingStepOfAFlow(t *testing.T) {
	ep := &sentryEndpoint{}
	srv := httptest.NewServer(ep)
	defer srv.Close()
	notifier, err := NewSentry(strings.Replace(srv.URL, "http://", "http://publickey@", 1)+"/42", "probe-test", 0, nil)
	require.NoError(t, err)
	_, url := demotest.Start(t, demoapp.Faults{Routes: map[string]demoapp.RouteFaults{"api.product": {ErrorRate: 1}}})
	s := loadSuite(t, url, `
  - name: flow
    kind: http
    schedule: {interval: 20ms, jitter: 1ms}
    steps:
      - {name: first, request: {url: /api/health}}
      - {name: broken, request: {url: /api/products/1}}
      - {name: never, request: {url: /api/health}}
      - {name: cleanup, always: true, request: {url: /api/cart}, expect: {status: 201}}
`)
	hist := openStore(t, filepath.Join(t.TempDir(), "h.db"))
	m, err := New(Config{Suite: s, Recheck: 20 * time.Millisecond, Notifier: notifier}, scenarios.NewRunner(nil), hist, nil)
	require.NoError(t, err)
	runUntil(t, m, func() bool { return count(t, hist, store.Query{}).Fail >= 3 })
	notifier.Close(5 * time.Second)

	events := ep.events()
	require.Len(t, events, 1, "one failing episode")
	e := events[0].event
	assert.Equal(t, []any{"probe", "flow", "dev", "broken"}, e["fingerprint"])
	tags, _ := e["tags"].(map[string]any)
	assert.Equal(t, "broken", tags["step"])
	contexts, _ := e["contexts"].(map[string]any)
	probe, _ := contexts["probe"].(map[string]any)
	assert.Regexp(t, `^[0-9a-f]{32}$`, probe["trace_id"])
	assert.Equal(t, "broken: status 500, want 2xx; then cleanup failed too: status 200, want 201", probe["reason"])
	crumbs, _ := e["breadcrumbs"].([]any)
	assert.Len(t, crumbs, 3, "the steps that ran, as breadcrumbs")
}

func TestSentryRateLimit(t *testing.T) {
	s, err := NewSentry("", "", 3, nil) // no DSN: the client sends nothing
	require.NoError(t, err)
	now := time.Now()
	var allowed int
	for range 10 {
		if s.allow(now) {
			allowed++
		}
	}
	assert.Equal(t, 3, allowed)
	assert.True(t, s.allow(now.Add(time.Minute+time.Second)), "the window moves on")
}

// TestStatusPageLinksScreenshots: a failure's screenshot is linked from the
// status page and served from the artifact folder, and nothing outside it is.
func TestStatusPageLinksScreenshots(t *testing.T) {
	dir := t.TempDir()
	shot := filepath.Join(dir, "checkout-dev", "20261122T060000.000", "failure.png")
	require.NoError(t, os.MkdirAll(filepath.Dir(shot), 0o755))
	require.NoError(t, os.WriteFile(shot, []byte("\x89PNG\r\n\x1a\nfake"), 0o600))
	hist := openStore(t, filepath.Join(t.TempDir(), "h.db"))
	s := loadSuite(t, "http://127.0.0.1:1", "  - {name: checkout, kind: http, schedule: {interval: 10ms, jitter: 1ms}, request: {url: /}}\n")
	m, err := New(Config{Suite: s, Recheck: 10 * time.Millisecond, ArtifactDir: dir}, &episodes{shot: shot}, hist, nil)
	require.NoError(t, err)
	runUntil(t, m, func() bool { return count(t, hist, store.Query{}).Fail >= 2 })
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	page := statusPage(t, srv.URL)
	assert.Contains(t, page, `<a href="/artifacts/checkout-dev/20261122T060000.000/failure.png">screenshot</a>`)
	res, err := http.Get(srv.URL + "/artifacts/checkout-dev/20261122T060000.000/failure.png")
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, 200, res.StatusCode)
	res, err = http.Get(srv.URL + "/artifacts/../h.db")
	require.NoError(t, err)
	res.Body.Close()
	assert.NotEqual(t, 200, res.StatusCode)
}

// TestStatusPageHidesURLPassword: the status page shows each check's target,
// and not the password of its URL (nor a declared secret in it).
func TestStatusPageHidesURLPassword(t *testing.T) {
	s := loadSuite(t, "http://probe:st-pw-91x@127.0.0.1:1", "  - {name: c, kind: http, request: {url: /}}\n")
	m, err := New(Config{Suite: s}, &scripted{script: []results.Status{results.Pass}}, openStore(t, filepath.Join(t.TempDir(), "h.db")), nil)
	require.NoError(t, err)
	require.Len(t, m.checks(s), 1)
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	page := statusPage(t, srv.URL)
	assert.NotContains(t, page, "st-pw-91x")
	assert.Contains(t, page, "http://probe:[redacted]@127.0.0.1:1")
}

// statusPage reads the status page served at base.
func statusPage(t *testing.T, base string) string {
	t.Helper()
	res, err := http.Get(base + "/")
	require.NoError(t, err)
	defer res.Body.Close()
	page, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, res.StatusCode, string(page))
	return string(page)
}
