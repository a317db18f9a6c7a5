package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/probe-dev/probe/demoapp"
	"github.com/probe-dev/probe/demoapp/demotest"
	"github.com/probe-dev/probe/results"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// loadSuite writes a suite with one short load test against url.
func loadSuite(t *testing.T, url string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "suite.yaml")
	require.NoError(t, os.WriteFile(path, []byte(fmt.Sprintf(`
environments:
  dev: {base_url: %q}
  prod: {base_url: %q, protected: true, max_rate: 5/s}
loadtests:
  - name: quick
    targets:
      - {name: health, path: /api/health, weight: 3}
      - {name: products, path: /api/products}
    profile: [{constant: {rate: 40/s, duration: 2s}}]
    thresholds:
      - {endpoint: products, error_rate: 1%%}
    limits: {max_duration: 30s, max_requests: 1000}
  - name: bad-template
    targets: [{name: t, path: '/api/products/{{randInt 5 (len "a")}}'}]
    profile: [{constant: {rate: 10/s, duration: 1s}}]
    limits: {max_duration: 5s, max_requests: 100}
`, url, url)), 0o600))
	return path
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return addr
}

func TestLoad(t *testing.T) {
	shop, url := demotest.Start(t, demoapp.Faults{})
	suitePath := loadSuite(t, url)
	out := t.TempDir()
	base := []string{"load", "--suite", suitePath, "--out", out}

	tests := []struct {
		name   string
		faults demoapp.Faults
		args   []string
		code   int
		stdout []string
		stderr string
	}{
		{name: "passes", args: []string{"quick", "--env", "dev"}, code: 0,
			stdout: []string{"load test quick on dev: completed", "sent 80 of 80 planned", "products: error_rate < 1%", "pass"}},
		{name: "threshold breached", faults: demoapp.Faults{Routes: map[string]demoapp.RouteFaults{"api.products": {ErrorRate: 1}}},
			args: []string{"quick", "--env", "dev", "--no-abort"}, code: 1, stdout: []string{"FAIL"}, stderr: `load test "quick": a threshold failed`},
		{name: "protected refused", args: []string{"quick", "--env", "prod"}, code: 2, stderr: `environment "prod" is protected: a load test needs --allow-protected, and is then capped at 5/s`},
		{name: "protected allowed and capped", args: []string{"quick", "--env", "prod", "--allow-protected"}, code: 0, stdout: []string{"sent 10 of 10 planned"}},
		{name: "scaled and fitted", args: []string{"quick", "--env", "dev", "--rate-scale", "0.5", "--duration", "1s"}, code: 0, stdout: []string{"sent 20 of 20 planned"}},
		{name: "one shard", args: []string{"quick", "--env", "dev", "--shard", "1/4"}, code: 0, stdout: []string{"(shard 1/4)", "sent 20 of 20 planned"}},
		{name: "bad shard", args: []string{"quick", "--env", "dev", "--shard", "4/4"}, code: 2, stderr: `--shard "4/4": want I/N with 0 ≤ I < N`},
		{name: "bad rate scale", args: []string{"quick", "--env", "dev", "--rate-scale", "0"}, code: 2, stderr: "--rate-scale 0: must be above 0"},
		{name: "unknown load test", args: []string{"quik", "--env", "dev"}, code: 2, stderr: `no load test "quik"`},
		{name: "bad template at run time", args: []string{"bad-template", "--env", "dev"}, code: 2, stderr: "randInt 5 1: the second number must not be below the first"},
		{name: "unreachable", args: []string{"quick", "--env", "dev", "--base-url", "http://" + freePort(t)}, code: 3, stderr: "is unreachable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			require.NoError(t, shop.SetFaults(tt.faults))
			code, stdout, stderr := runProbe(t, append(base, tt.args...)...)
			assert.Equal(t, tt.code, code, "stdout: %s\nstderr: %s", stdout, stderr)
			for _, s := range tt.stdout {
				assert.Contains(t, stdout, s)
			}
			assert.Contains(t, stderr, tt.stderr)
		})
	}
	f, err := os.Open(filepath.Join(out, "quick-dev.json"))
	require.NoError(t, err)
	defer f.Close()
	s, err := results.ReadSummary(f)
	require.NoError(t, err)
	assert.Equal(t, "quick", s.LoadTest)
	assert.Equal(t, s.Sent, s.Overall.Requests)
}

// startPushgateway runs a real Prometheus Pushgateway on a free loopback
// port until the test ends, and returns its address.
func startPushgateway(t *testing.T) string {
	t.Helper()
	gw, err := exec.LookPath("prometheus-pushgateway")
	require.NoError(t, err, "run 'make setup' to install prometheus-pushgateway")
	addr := freePort(t)
	ctx, cancel := context.WithCancel(t.Context())
	pg := exec.CommandContext(ctx, gw, "--web.listen-address="+addr, "--persistence.file=")
	require.NoError(t, pg.Start())
	t.Cleanup(func() { cancel(); _ = pg.Wait() })
	require.Eventually(t, func() bool {
		res, err := http.Get("http://" + addr + "/-/ready")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == 200
	}, 20*time.Second, 50*time.Millisecond)
	return addr
}

// TestLoadMetrics scrapes the live metrics during a run and finds the final
// ones in a real Pushgateway.
func TestLoadMetrics(t *testing.T) {
	gwAddr := startPushgateway(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()

	_, url := demotest.Start(t, demoapp.Faults{})
	metricsAddr := freePort(t)

	scraped := make(chan string, 1)
	go func() {
		// Scrape once the run has sent something.
		for ctx.Err() == nil {
			res, err := http.Get("http://" + metricsAddr + "/metrics")
			if err == nil {
				b, _ := io.ReadAll(res.Body)
				res.Body.Close()
				if strings.Contains(string(b), "probe_load_requests_total") {
					scraped <- string(b)
					return
				}
			}
			time.Sleep(20 * time.Millisecond) // polling a server that is not up yet
		}
	}()
	code, stdout, stderr := runProbe(t, "load", "quick", "--env", "dev", "--suite", loadSuite(t, url), "--out", t.TempDir(),
		"--metrics-addr", metricsAddr, "--pushgateway", "http://"+gwAddr)
	require.Equal(t, 0, code, stdout+stderr)
	live := <-scraped
	assert.Contains(t, live, `probe_load_requests_total{code_class="2xx",endpoint="health",env="dev",loadtest="quick"}`)
	assert.Contains(t, live, "probe_load_requested_rate")

	res, err := http.Get("http://" + gwAddr + "/metrics")
	require.NoError(t, err)
	b, err := io.ReadAll(res.Body)
	res.Body.Close()
	require.NoError(t, err)
	assert.Contains(t, string(b), `probe_load_requests_total{code_class="2xx",endpoint="products",env="dev",instance="quick-dev",job="probe_load",loadtest="quick"}`)
}

// TestLoadSIGTERM sends SIGTERM to a real probe process mid-run: it stops
// sending, waits for what is in flight, writes a partial summary and exits 3.
func TestLoadSIGTERM(t *testing.T) {
	bin := buildProbe(t)
	shop, url := demotest.Start(t, demoapp.Faults{})
	path := filepath.Join(t.TempDir(), "suite.yaml")
	require.NoError(t, os.WriteFile(path, []byte(`
environments:
  dev: {base_url: "`+url+`"}
loadtests:
  - name: long
    targets: [{name: health, path: /api/health}]
    profile: [{constant: {rate: 50/s, duration: 60s}}]
    limits: {max_duration: 60s, max_requests: 10000}
`), 0o600))
	out := t.TempDir()
	cmd := exec.CommandContext(t.Context(), bin, "load", "long", "--env", "dev", "--suite", path, "--out", out)
	stderr, err := cmd.StderrPipe()
	require.NoError(t, err)
	require.NoError(t, cmd.Start())
	sc := bufio.NewScanner(stderr)
	for sc.Scan() {
		if strings.Contains(sc.Text(), "sent ") { // the first progress line: load is flowing
			break
		}
	}
	require.NoError(t, cmd.Process.Signal(syscall.SIGTERM))
	go io.Copy(io.Discard, stderr) //nolint:errcheck // drain
	err = cmd.Wait()
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee, "an interrupted run is never exit 0")
	assert.Equal(t, exitCouldNotRun, ee.ExitCode())

	f, err := os.Open(filepath.Join(out, "long-dev.json"))
	require.NoError(t, err)
	defer f.Close()
	s, err := results.ReadSummary(f)
	require.NoError(t, err)
	assert.True(t, s.Partial)
	assert.Equal(t, "interrupted", s.Stop)
	assert.Less(t, s.Sent, s.Planned)
	assert.Equal(t, shop.Stats()["api.health"].Requests, s.Sent, "requests in flight were waited for")
}

// buildProbe builds the probe binary, for tests that need real processes.
func buildProbe(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "probe")
	build := exec.Command("go", "build", "-o", bin, ".")
	build.Stderr = os.Stderr
	require.NoError(t, build.Run())
	return bin
}

// TestLoadShardProcesses runs a load test as N shard processes at once, as
// the Indexed Job in deploy/kubernetes does, merges their summaries, and
// compares with one process running it whole: the same request count, the
// shop's own count, and histograms that add exactly. A slice's failed
// threshold does not fail its process; the merge judges the whole.
func TestLoadShardProcesses(t *testing.T) {
	const n = 3
	bin := buildProbe(t)
	shop, url := demotest.Start(t, slowRoute("*", 2*time.Millisecond))
	path := suiteFile(t, `
environments:
  dev: {base_url: "`+url+`"}
loadtests:
  - name: split
    targets:
      - {name: products, path: /api/products, weight: 2}
      - {name: health, path: /api/health}
    profile: [{constant: {rate: 150/s, duration: 2s}}]
    thresholds: [{p95: 1ms}]
    limits: {max_duration: 10s, max_requests: 1000}
`)
	dir := t.TempDir()
	var wg sync.WaitGroup
	outs := make([][]byte, n)
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			cmd := exec.CommandContext(t.Context(), bin, "load", "split", "--env", "dev", "--suite", path, "--no-abort",
				"--shard", fmt.Sprintf("%d/%d", i, n), "--out", dir)
			outs[i], errs[i] = cmd.CombinedOutput()
		})
	}
	wg.Wait()
	var parts []*results.Summary
	mergeArgs := []string{"report", "merge", "--suite", path, "--out", filepath.Join(dir, "merged.json")}
	for i := range n {
		require.NoError(t, errs[i], "a shard whose slice fails a threshold still exits 0:\n%s", outs[i])
		assert.Contains(t, string(outs[i]), "a threshold failed on this slice")
		file := filepath.Join(dir, fmt.Sprintf("split-dev-shard%dof%d.json", i, n))
		parts = append(parts, readSummaryFile(t, file))
		mergeArgs = append(mergeArgs, file)
	}
	shardStats := shop.Stats()
	shardSent := shardStats["api.products"].Requests + shardStats["api.health"].Requests

	merge := exec.CommandContext(t.Context(), bin, mergeArgs...)
	out, err := merge.CombinedOutput()
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee, string(out))
	assert.Equal(t, 1, ee.ExitCode(), "the merged summary fails p95 < 1ms:\n%s", out)
	merged := readSummaryFile(t, filepath.Join(dir, "merged.json"))
	require.Len(t, merged.Thresholds, 1)
	assert.False(t, merged.Thresholds[0].Pass)

	single := exec.CommandContext(t.Context(), bin, "load", "split", "--env", "dev", "--suite", path, "--no-abort", "--out", filepath.Join(dir, "single"))
	out, err = single.CombinedOutput()
	require.ErrorAs(t, err, &ee, string(out))
	whole := readSummaryFile(t, filepath.Join(dir, "single", "split-dev.json"))

	assert.Equal(t, int64(300), whole.Planned)
	assert.Equal(t, whole.Planned, merged.Planned)
	assert.Equal(t, whole.Sent, merged.Sent, "the shards together send what one process sends")
	assert.Equal(t, whole.Overall.Requests, merged.Overall.Requests)
	assert.Equal(t, shardSent, merged.Sent, "and what the shop counted")
	// Targets are picked at random by weight, so per endpoint the shards
	// are compared with the shop's counter, not with the single run.
	for name, route := range map[string]string{"products": "api.products", "health": "api.health"} {
		assert.Equal(t, shardStats[route].Requests, merged.Endpoint(name).Requests, name)
	}
	sum := results.NewHistogram()
	var count int64
	for _, p := range parts {
		sum.Merge(p.Overall.Latency)
		count += p.Overall.Latency.Count()
	}
	assert.True(t, sum.Equal(merged.Overall.Latency), "the merged histogram is the sum of the shards'")
	assert.Equal(t, count, merged.Overall.Latency.Count())
}

func readSummaryFile(t *testing.T, path string) *results.Summary {
	t.Helper()
	s, err := readSummary(path)
	require.NoError(t, err)
	return s
}

// TestStarvedGenerator: probe on one CPU asked for far more than it can send
// (40,000/s against a demo shop of its own process) names itself as the
// limit, drops what it cannot send instead of queueing it, exits 3, and
// keeps its memory bounded (it spiralled to about 500 MB before).
func TestStarvedGenerator(t *testing.T) {
	bin := buildProbe(t)
	target := exec.CommandContext(t.Context(), bin, "demo-target", "--addr", "127.0.0.1:0")
	out, err := target.StdoutPipe()
	require.NoError(t, err)
	require.NoError(t, target.Start())
	t.Cleanup(func() { _ = target.Process.Kill(); _ = target.Wait() })
	line, err := bufio.NewReader(out).ReadString('\n')
	require.NoError(t, err)
	url, ok := strings.CutPrefix(strings.TrimSpace(line), "demo shop serving at ")
	require.True(t, ok, line)

	path := filepath.Join(t.TempDir(), "suite.yaml")
	require.NoError(t, os.WriteFile(path, []byte(`
environments:
  dev: {base_url: "`+url+`"}
loadtests:
  - name: flood
    targets: [{name: health, path: /api/health}]
    profile: [{constant: {rate: 40000/s, duration: 2s}}]
    limits: {max_duration: 10s, max_requests: 80000}
`), 0o600))
	dir := t.TempDir()
	cmd := exec.CommandContext(t.Context(), bin, "load", "flood", "--env", "dev", "--suite", path, "--out", dir)
	cmd.Env = append(os.Environ(), "GOMAXPROCS=1")
	var stdout strings.Builder
	cmd.Stdout = &stdout
	err = cmd.Run()
	var ee *exec.ExitError
	require.ErrorAs(t, err, &ee, stdout.String())
	assert.Equal(t, exitCouldNotRun, ee.ExitCode())
	assert.Contains(t, stdout.String(), "GENERATOR LIMIT")

	f, err := os.Open(filepath.Join(dir, "flood-dev.json"))
	require.NoError(t, err)
	defer f.Close()
	s, err := results.ReadSummary(f)
	require.NoError(t, err)
	require.NotNil(t, s.Generator)
	// Late or dropped, by how far behind the one processor fell: on a quick
	// machine it may send every request late and drop none (the drop rule
	// itself: TestPacerDropsWhenShortOfCPU).
	assert.Positive(t, s.Late+s.Dropped, "what it could not send on time is counted")
	assert.Equal(t, s.Planned, s.Sent+s.Dropped)
	rss := ee.ProcessState.SysUsage().(*syscall.Rusage).Maxrss // KiB on Linux
	t.Logf("peak RSS %d KiB; %d workers; sent %d, late %d, dropped %d", rss, s.Workers, s.Sent, s.Late, s.Dropped)
	// The spiral started a worker (and a connection) per missed tick, up
	// to --max-workers (10,000): about 500 MB. Memory is measured in
	// benchmarks; here only so far from the spiral that noise cannot matter.
	assert.Less(t, s.Workers, int64(4000), "workers follow what the target holds, not missed ticks (the spiral: 10,000)")
	assert.Less(t, rss, int64(400<<10), "peak RSS %d KiB", rss)
}
