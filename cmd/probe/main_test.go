package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func runProbe(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(t.Context(), args, &out, &errOut)
	return code, out.String(), errOut.String()
}

func TestValidate(t *testing.T) {
	threeMistakes := filepath.Join("..", "..", "suite", "testdata", "three-mistakes")
	tests := []struct {
		name     string
		args     []string
		code     int
		stdout   []string
		stderr   []string
		errLines int
	}{
		{name: "example suite", args: []string{"validate", "../../examples/shop"}, code: 0,
			stdout: []string{"suite demo-shop is valid (5 files)", "checkout", "spike", "protected, load capped at 20/s"}},
		{name: "three mistakes in two files", args: []string{"validate", threeMistakes}, code: 2,
			stderr: []string{"the suite has 3 mistakes:", "probe.yaml:5:5: ", "health.yaml:4:12: ", "health.yaml:9:20: "}, errLines: 4},
		{name: "missing suite", args: []string{"validate", "nope"}, code: 2, stderr: []string{"no suite found at nope"}},
		{name: "too many arguments", args: []string{"validate", "a", "b"}, code: 2, stderr: []string{"validate takes at most 1 argument, got 2"}},
		{name: "unknown flag", args: []string{"validate", "--strict"}, code: 2, stderr: []string{"unknown flag: --strict"}},
		{name: "unknown command", args: []string{"valdate"}, code: 2, stderr: []string{`unknown command "valdate"`}},
		{name: "version", args: []string{"version"}, code: 0, stdout: []string{"probe "}},
		{name: "schema", args: []string{"schema"}, code: 0, stdout: []string{`"$schema": "https://json-schema.org/draft/2020-12/schema"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runProbe(t, tt.args...)
			assert.Equal(t, tt.code, code, "stderr: %s", stderr)
			for _, s := range tt.stdout {
				assert.Contains(t, stdout, s)
			}
			for _, s := range tt.stderr {
				assert.Contains(t, stderr, s)
			}
			if tt.errLines > 0 {
				assert.Len(t, strings.Split(strings.TrimSpace(stderr), "\n"), tt.errLines, stderr)
			}
		})
	}
}

func TestDemoTarget(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	pr, pw := io.Pipe()
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, []string{"demo-target", "--addr", "127.0.0.1:0", "--fault", "api.products:error_rate=100%"}, pw, io.Discard)
		pw.Close()
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	require.NoError(t, err)
	url, ok := strings.CutPrefix(strings.TrimSpace(line), "demo shop serving at ")
	require.True(t, ok, line)
	go io.Copy(io.Discard, pr) //nolint:errcheck // drain the rest of its output

	res, err := http.Get(url + "/api/health")
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, 200, res.StatusCode)
	res, err = http.Get(url + "/api/products")
	require.NoError(t, err)
	res.Body.Close()
	assert.Equal(t, 500, res.StatusCode, "the --fault flag is in force")

	cancel()
	assert.Equal(t, 0, <-done, "Ctrl-C stops it cleanly")
}

func TestDemoTargetBadFlags(t *testing.T) {
	tests := []struct {
		name string
		args []string
		err  string
	}{
		{"bad fault", []string{"--fault", "nope"}, `--fault: fault "nope": want ROUTE:key=value`},
		{"bad outage", []string{"--outage", "sometimes"}, `outage "sometimes"`},
		{"bad stall", []string{"--stall", "soon"}, `invalid argument "soon" for "--stall"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runProbe(t, append([]string{"demo-target", "--addr", "127.0.0.1:0"}, tt.args...)...)
			assert.Equal(t, 2, code)
			assert.Contains(t, stderr, tt.err)
		})
	}
}

func TestDemo(t *testing.T) {
	out := t.TempDir()
	code, stdout, stderr := runProbe(t, "demo", "--out", out)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "demo shop serving at http://127.0.0.1:")
	assert.Contains(t, stdout, "suite demo-shop is valid")
	assert.NotContains(t, stdout, "127.0.0.1:8080", "every environment points at the started shop")
	assert.Contains(t, stdout, "5 runs: 5 pass, 0 fail", "the example's checks and flows pass on a healthy shop")
	assert.Contains(t, stdout, "place order")
	assert.Regexp(t, `api-order +dev +delete order +[0-9.]+ms +pass`, stdout, "the API flow ran to its cleanup")
	assert.Contains(t, stdout, "load test spike on dev: completed")
	assert.Contains(t, stdout, "throughput > 15/s")
	assert.Contains(t, stdout, "as it should: the gate failed and named the slowed route's step (browse: product).")
	assert.Contains(t, stdout, "660 arrivals planned (journeys and single requests)")
	assert.Regexp(t, `checkout +\d+ +\d+ +0 +0 +0 `, stdout, "the checkout journey (the API flow's steps) completed every time")
	assert.Contains(t, stdout, "drill spike on dev: highest rate that held the SLO")
	assert.Regexp(t, `FAIL: gate spike on dev: fail \(browse: product latency (shift|p95|p99)[,)]`, stdout)
	assert.Regexp(t, `HTML report: /.*/report\.html\n$`, stdout, "it ends with where the HTML report is")
	html, err := os.ReadFile(filepath.Join(out, "report.html"))
	require.NoError(t, err)
	assert.Contains(t, string(html), "Steps of api-order", "the report draws the API flow's steps")
	assert.Contains(t, string(html), "<h3>Journey checkout</h3>", "the report draws each journey's funnel")
}

// suiteFile writes a suite file for one test and returns its path.
func suiteFile(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "suite.yaml")
	require.NoError(t, os.WriteFile(path, []byte(text), 0o600))
	return path
}

// threeRouteSuite writes a suite with one load test, name, on three API
// routes of the demo shop at rate for a second; the URL comes from
// --base-url or the gate's flags.
func threeRouteSuite(t *testing.T, name, rate string, maxRequests int) string {
	return suiteFile(t, fmt.Sprintf(`
environments:
  dev: {base_url: "http://127.0.0.1:1"}
loadtests:
  - name: %s
    targets:
      - {name: products, path: /api/products}
      - {name: product, path: "/api/products/{{randInt 1 20}}"}
      - {name: health, path: /api/health}
    profile: [{constant: {rate: %s, duration: 1s}}]
    limits: {max_duration: 10s, max_requests: %d}
`, name, rate, maxRequests))
}
