package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/probe-dev/probe/demoapp"
	"github.com/probe-dev/probe/demoapp/demotest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// catcher is a local HTTP endpoint (Sentry, Pushgateway) that keeps every
// body it is sent, unzipped.
type catcher struct {
	mu     sync.Mutex
	bodies [][]byte
}

func (c *catcher) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	var body io.Reader = r.Body
	if r.Header.Get("Content-Encoding") == "gzip" {
		gz, err := gzip.NewReader(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		body = gz
	}
	b, err := io.ReadAll(body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	c.mu.Lock()
	c.bodies = append(c.bodies, append([]byte(r.URL.String()+"\n"), b...))
	c.mu.Unlock()
	w.WriteHeader(http.StatusOK)
}

func (c *catcher) all() [][]byte {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([][]byte(nil), c.bodies...)
}

// TestSecretsNeverLeave plants one secret in every place a suite can hold
// it (URL path and query, headers, bodies, browser typing, variables), and a
// secret capture (a login token) in the steps of an API flow, runs
// every command that prints, writes, serves or sends what it measured, and
// greps every byte of it: stdout and stderr, every file under the output
// folders (run JSON, reports, summaries, merged summaries, the raw file,
// artifacts, the SQLite history), /metrics, the status page, the Sentry
// envelopes and what a real Pushgateway holds of the pushes. Only the target
// may see the secret and the tokens.
func TestSecretsNeverLeave(t *testing.T) {
	const secret = "pw-Zq9xK7-planted"
	t.Setenv("SHOP_PASSWORD", secret)
	shop, url := demotest.Start(t, demoapp.Faults{}, demoapp.WithPassword(secret))
	sentry := &catcher{} // the real sentry-go transport sends to it
	sentrySrv := httptest.NewServer(sentry)
	defer sentrySrv.Close()
	gw := startPushgateway(t)
	t.Setenv("SENTRY_DSN", strings.Replace(sentrySrv.URL, "http://", "http://publickey@", 1)+"/42")

	root := t.TempDir()
	suitePath := filepath.Join(root, "suite.yaml")
	require.NoError(t, os.WriteFile(suitePath, []byte(`
secrets: [SHOP_PASSWORD]
environments:
  dev:
    base_url: "`+url+`"
    headers: {X-Env-Token: "${SHOP_PASSWORD}"}
    variables: {pw: "${SHOP_PASSWORD}"}
defaults: {retries: 0}
scenarios:
  - name: query
    kind: http
    schedule: {interval: 1s}
    request:
      url: /api/health?token=${SHOP_PASSWORD}
      headers: {Authorization: "Bearer ${SHOP_PASSWORD}"}
  - name: path
    kind: http
    schedule: {interval: 1s}
    request: {method: POST, url: "/api/cart/${SHOP_PASSWORD}", body: '{"note": "${SHOP_PASSWORD}"}'}
  - name: token
    kind: http
    schedule: {interval: 1s}
    steps:
      - name: login
        request: {method: POST, url: /api/login, body: '{"email": "a@b.c", "password": "${SHOP_PASSWORD}"}'}
        capture: [{name: tok, json: $.token, secret: true}]
      - name: use
        request:
          url: '/api/orders?t={{capture "tok"}}'
          headers: {Authorization: 'Bearer {{capture "tok"}}'}
        expect: {headers: {X-Nope: '{{capture "tok"}}'}}
      - name: cleanup
        always: true
        request: {url: '/api/orders/{{capture "tok"}}', headers: {Authorization: 'Bearer {{capture "tok"}}'}}
        expect: {body_contains: '{{capture "tok"}}'}
  - name: typing
    kind: browser
    schedule: {interval: 1m}
    timeout: 20s
    steps:
      - navigate: /checkout?t=${SHOP_PASSWORD}
      - type: {selector: "#email", text: "${SHOP_PASSWORD}"}
      - name: missing
        assert_text: {selector: "#no-such-thing", contains: "${SHOP_PASSWORD}"}
        timeout: 2s
loadtests:
  - name: lt
    targets:
      - {name: query, path: "/api/health?token=${SHOP_PASSWORD}", headers: {X-Auth: "${SHOP_PASSWORD}"}}
      - {name: var, path: '/api/products/1?u={{var "pw"}}'}
      - {name: path, path: "/api/products/${SHOP_PASSWORD}"}
      - {name: body, path: /api/cart, method: POST, body: '{"product_id": 1, "qty": 1, "note": "${SHOP_PASSWORD}"}'}
    profile: [{constant: {rate: 40/s, duration: 1s}}]
    limits: {max_duration: 10s, max_requests: 100}
`), 0o600))

	var printed []string // every stdout and stderr
	probe := func(args ...string) int {
		code, stdout, stderr := runProbe(t, args...)
		printed = append(printed, stdout, stderr)
		return code
	}
	dir := func(name string) string { return filepath.Join(root, name) }

	require.Equal(t, 0, probe("validate", suitePath))
	assert.Equal(t, 1, probe("check", "--env", "dev", "--suite", suitePath, "--out", dir("runs"), "--report", "text,html,md,junit,json"))
	require.Equal(t, 0, probe("load", "lt", "--env", "dev", "--suite", suitePath, "--out", dir("load"), "--raw", dir("load/raw.gob"),
		"--report", "text,html,md,junit,json", "--pushgateway", "http://"+gw))
	for _, shard := range []string{"0/2", "1/2"} {
		require.Equal(t, 0, probe("load", "lt", "--env", "dev", "--suite", suitePath, "--out", dir("shards"), "--shard", shard))
	}
	require.Equal(t, 0, probe("report", "merge", dir("shards/lt-dev-shard0of2.json"), dir("shards/lt-dev-shard1of2.json"),
		"--out", dir("merged/lt.json"), "--suite", suitePath))
	for _, format := range []string{"text", "html", "md", "junit", "json"} {
		probe("report", dir("runs/query-dev.json"), dir("runs/path-dev.json"), dir("runs/token-dev.json"), dir("runs/typing-dev.json"), dir("load/lt-dev.json"), "--format", format)
	}
	// Identical builds; the verdict is not what this test is about (a pass,
	// an undecided gate, or the 1-in-100 false failure alpha allows).
	gateCode := probe("gate", "query", "--env", "dev", "--suite", suitePath, "--baseline-url", url, "--candidate-url", url,
		"--max-duration", "3s", "--pairs", "6", "--warmup", "0s", "--out", dir("gate"), "--report", "json,md")
	assert.Contains(t, []int{0, 1, 4}, gateCode)

	// The daemon: metrics, status page, history, Sentry.
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	history := dir("history/h.db")
	base, done := startRun(t, ctx, "--suite", suitePath, "--history", history, "--artifacts", dir("artifacts"))
	var served []string
	ranAll := regexp.MustCompile(`(?s)probe_runs_total\{env="dev",scenario="path",status="fail"\} [1-9].*` +
		`probe_runs_total\{env="dev",scenario="query",status="pass"\} [1-9].*` +
		`probe_runs_total\{env="dev",scenario="token",status="fail"\} [1-9].*` +
		`probe_runs_total\{env="dev",scenario="typing",status="fail"\} [1-9]`)
	require.Eventually(t, func() bool { return ranAll.MatchString(get(t, base+"metrics")) }, 60*time.Second, 100*time.Millisecond)
	metrics := get(t, base+"metrics")
	served = append(served, metrics, get(t, base))
	assert.Contains(t, metrics, `step="GET /api/health?token=[redacted]"`, "the step label is there, redacted")
	cancel()
	exit := <-done
	require.Equal(t, 0, exit.code, exit.stderr)
	printed = append(printed, exit.stderr)
	require.Equal(t, 0, probe("sla", "--env", "dev", "--window", "1h", "--history", history, "--format", "md"))
	require.NotEmpty(t, sentry.all(), "the failures reached Sentry")
	pushed := get(t, "http://"+gw+"/metrics")
	require.Contains(t, pushed, `job="probe_load"`, "the load test pushed its metrics")
	served = append(served, pushed)

	// Every byte, for the secret and every token the shop gave out.
	tokens := shop.Tokens()
	require.GreaterOrEqual(t, len(tokens), 2, "the API flow logged in under check and under run")
	check := func(where string, b []byte) {
		t.Helper()
		assert.False(t, bytes.Contains(b, []byte(secret)), "the secret leaks in %s", where)
		for _, tok := range tokens {
			assert.False(t, bytes.Contains(b, []byte(tok)), "a captured token leaks in %s", where)
		}
	}
	for i, p := range printed {
		check("printed output #"+string(rune('0'+i%10)), []byte(p))
	}
	for _, s := range served {
		check("what probe run serves", []byte(s))
	}
	for _, b := range sentry.all() {
		check("what probe sends: "+strings.SplitN(string(b), "\n", 2)[0], b)
	}
	files := eachFile(t, root, suitePath, check)
	assert.Greater(t, files, 20, "run JSON, reports, summaries, raw, artifacts and the history were all written")
	all := strings.Join(printed, "")
	assert.Contains(t, all, "[redacted]", "names were shown, redacted")
	assert.Contains(t, all, `header X-Nope missing, want it to contain "[redacted]"`, "the reason that quoted the token was shown, redacted")
	for _, f := range []string{"load/raw.gob", "history/h.db", "merged/lt.json", "gate/report.json"} {
		assert.FileExists(t, dir(f))
	}
}

// TestURLPasswordsNeverLeave: the password of a URL's user info is a secret
// whether or not the suite declares it: in an environment's base_url, a
// --base-url, a gate's build URLs, a --pushgateway. Every command that
// prints or writes what it did is run, and every byte of it grepped.
func TestURLPasswordsNeverLeave(t *testing.T) {
	const pw = "url-pw-R4n7-planted"
	_, url := demotest.Start(t, demoapp.Faults{})
	withPW := strings.Replace(url, "http://", "http://probe:"+pw+"@", 1)
	refusing := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "no", http.StatusUnauthorized) // its error is logged
	}))
	defer refusing.Close()

	root := t.TempDir()
	suitePath := filepath.Join(root, "suite.yaml")
	require.NoError(t, os.WriteFile(suitePath, []byte(`
environments:
  dev: {base_url: "`+withPW+`"}
defaults: {retries: 0}
scenarios:
  - {name: health, kind: http, request: {url: /api/health}}
  - {name: missing, kind: http, request: {url: /no-such-page}, expect: {status: 200}}
loadtests:
  - name: lt
    targets: [{name: health, path: /api/health}, {name: missing, path: /no-such-page}]
    profile: [{constant: {rate: 40/s, duration: 1s}}]
    limits: {max_duration: 10s, max_requests: 100}
`), 0o600))
	var printed []string
	probe := func(args ...string) int {
		code, stdout, stderr := runProbe(t, args...)
		printed = append(printed, stdout, stderr)
		return code
	}
	dir := func(name string) string { return filepath.Join(root, name) }
	require.Equal(t, 0, probe("validate", suitePath))
	assert.Equal(t, 1, probe("check", "--env", "dev", "--suite", suitePath, "--out", dir("runs"), "--report", "text,html,md,junit,json"))
	assert.Equal(t, 1, probe("check", "--env", "dev", "--suite", suitePath, "--base-url", withPW, "--out", dir("runs2")))
	require.Equal(t, 0, probe("load", "lt", "--env", "dev", "--suite", suitePath, "--base-url", withPW, "--out", dir("load"), "--raw", dir("load/raw.gob"),
		"--report", "text,html,md,junit,json", "--pushgateway", strings.Replace(refusing.URL, "http://", "http://gw:"+pw+"@", 1)))
	gateCode := probe("gate", "lt", "--env", "dev", "--suite", suitePath, "--baseline-url", withPW, "--candidate-url", withPW,
		"--max-duration", "3s", "--pairs", "6", "--warmup", "0s", "--out", dir("gate"), "--report", "json,md")
	assert.Contains(t, []int{0, 1, 4}, gateCode, "identical builds; the verdict is not what this test is about")

	all := strings.Join(printed, "")
	assert.Contains(t, all, "metrics not pushed", "the refused push was logged")
	assert.Contains(t, all, "probe:[redacted]@", "the base URL was shown, its password hidden")
	for i, p := range printed {
		assert.NotContains(t, p, pw, "printed output #%d", i)
	}
	files := eachFile(t, root, suitePath, func(path string, b []byte) {
		assert.False(t, bytes.Contains(b, []byte(pw)), "the URL's password leaks in %s", path)
	})
	assert.Greater(t, files, 10, "runs, reports, the summary, the raw file and the gate's reports were written")
	assert.FileExists(t, dir("load/raw.gob"))
}

// eachFile calls check with every file under root but skip, and returns how
// many there were: what the commands wrote, to grep for a secret.
func eachFile(t *testing.T, root, skip string, check func(path string, b []byte)) int {
	t.Helper()
	files := 0
	require.NoError(t, filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || path == skip {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		files++
		check(path, b)
		return nil
	}))
	return files
}
