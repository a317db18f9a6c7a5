package main

import (
	"os"
	"path/filepath"
	"strconv"
	"testing"

	"github.com/probe-dev/probe/demoapp"
	"github.com/probe-dev/probe/demoapp/demotest"
	"github.com/probe-dev/probe/results"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCheck(t *testing.T) {
	_, url := demotest.Start(t, demoapp.Faults{Routes: map[string]demoapp.RouteFaults{"api.products": {ErrorRate: 1}}})

	dir := t.TempDir()
	suitePath := filepath.Join(dir, "suite.yaml")
	require.NoError(t, os.WriteFile(suitePath, []byte(`
environments:
  dev: {base_url: "http://127.0.0.1:1"}
  staging: {base_url: "http://127.0.0.1:1"}
scenarios:
  - {name: health, kind: http, request: {url: /api/health}, expect: {status: 200}}
  - {name: catalogue, kind: http, request: {url: /api/products}, expect: {status: 200}}
  - {name: only-dev, kind: http, envs: [dev], request: {url: /}}
  - name: flow
    kind: browser
    envs: [staging]
    steps: [{navigate: /}]
  - name: api
    kind: http
    envs: [staging]
    steps:
      - {name: health, request: {url: /api/health}}
      - {name: catalogue, request: {url: /api/products}}
      - {name: never, request: {url: /api/health}}
      - {name: cleanup, always: true, request: {url: /api/health}}
`), 0o600))
	out := filepath.Join(dir, "runs")
	base := []string{"check", "--suite", suitePath, "--out", out, "--base-url", url}
	tests := []struct {
		name   string
		args   []string
		code   int
		stdout []string
		stderr string
	}{
		{name: "passing check", args: []string{"health", "--env", "dev"}, code: 0, stdout: []string{"health", "GET /api/health", "pass", "1 runs: 1 pass"}},
		{name: "failing check", args: []string{"catalogue", "--env", "dev"}, code: 1, stdout: []string{"status 500, want 200"}, stderr: "1 of 1 scenarios failed"},
		{name: "every scenario of the env", args: []string{"--env", "dev"}, code: 1, stdout: []string{"only-dev", "3 runs: 2 pass, 1 fail"}},
		{name: "unknown scenario", args: []string{"nope", "--env", "dev"}, code: 2, stderr: `no scenario "nope"`},
		{name: "scenario not on env", args: []string{"only-dev", "--env", "staging"}, code: 2, stderr: `scenario "only-dev" does not run on "staging"`},
		{name: "env required", args: []string{"health"}, code: 2, stderr: "--env is required"},
		{name: "unknown env", args: []string{"--env", "prod"}, code: 2, stderr: `--env "prod": no such environment`},
		{name: "browser flow", args: []string{"flow", "--env", "staging"}, code: 0, stdout: []string{"navigate /", "1 runs: 1 pass"}},
		{name: "http flow", args: []string{"api", "--env", "staging"}, code: 1, stdout: []string{"health", "catalogue", "status 500, want 2xx", "cleanup", "1 runs: 0 pass, 1 fail"},
			stderr: "1 of 1 scenarios failed"},
		{name: "no browser", args: []string{"flow", "--env", "staging", "--browser", "/nonexistent/chromium"}, code: 3,
			stdout: []string{"apt-get install chromium"}, stderr: "1 of 1 scenarios could not run"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runProbe(t, append(base, tt.args...)...)
			assert.Equal(t, tt.code, code, stderr)
			for _, s := range tt.stdout {
				assert.Contains(t, stdout, s)
			}
			assert.Contains(t, stderr, tt.stderr)
		})
	}
	f, err := os.Open(filepath.Join(out, "health-dev.json"))
	require.NoError(t, err)
	defer f.Close()
	run, err := results.ReadRun(f)
	require.NoError(t, err)
	assert.Equal(t, results.Pass, run.Status)
	assert.Equal(t, 200, run.Last().HTTP.StatusCode)

	// The flow's run, read back: a row a step that ran, each with its own
	// request's phases; the step after the failure did not run, the cleanup did.
	f, err = os.Open(filepath.Join(out, "api-staging.json"))
	require.NoError(t, err)
	defer f.Close()
	run, err = results.ReadRun(f)
	require.NoError(t, err)
	assert.Equal(t, "catalogue: status 500, want 2xx", run.Reason)
	var steps []string
	for _, st := range run.Last().Steps {
		steps = append(steps, st.Name+" "+string(st.Status)+" "+strconv.Itoa(st.HTTP.StatusCode))
	}
	assert.Equal(t, []string{"health pass 200", "catalogue fail 500", "cleanup pass 200"}, steps)
	assert.Equal(t, "catalogue", run.Last().FailingStep())
	assert.Equal(t, 500, run.Last().HTTP.StatusCode, "the attempt's phases are the failing request's")
}

// TestCheckKeepsSecretsOut runs the example's checkout flow so that it fails
// after typing the password, and looks for the password in every file written.
func TestCheckKeepsSecretsOut(t *testing.T) {
	const secret = "pw-Zq81-never-printed"
	_, url := demotest.Start(t, demoapp.Faults{Routes: map[string]demoapp.RouteFaults{"api.checkout": {ErrorRate: 1}}}, demoapp.WithPassword(secret))
	t.Setenv("SHOP_PASSWORD", secret)
	t.Setenv("SHOP_URL", url)

	out := t.TempDir()
	code, stdout, stderr := runProbe(t, "check", "checkout", "--env", "dev", "--suite", "../../examples/shop", "--out", out)
	require.Equal(t, 1, code, stderr)
	assert.Contains(t, stdout, "artifacts of checkout on dev:")
	assert.NotContains(t, stdout+stderr, secret)

	var files int
	require.NoError(t, filepath.WalkDir(out, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		files++
		data, err := os.ReadFile(path)
		require.NoError(t, err)
		assert.NotContains(t, string(data), secret, path)
		return nil
	}))
	assert.GreaterOrEqual(t, files, 6, "run JSON, screenshot, page, URL, console and network")
}
