package reports

import (
	"bytes"
	"context"
	"flag"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/probe-dev/probe/results"
	"github.com/probe-dev/probe/scenarios"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files")

var t0 = time.Date(2026, 11, 2, 10, 0, 0, 0, time.UTC)

// fixtureSummary is a deterministic load-test summary of n seconds.
func fixtureSummary(seconds int, failing bool) *results.Summary {
	rng := rand.New(rand.NewPCG(1, 2))
	s := &results.Summary{Schema: results.SummarySchema, LoadTest: "spike", Env: "staging", Start: t0,
		Duration: time.Duration(seconds) * time.Second, SendSpan: time.Duration(seconds)*time.Second - 10*time.Millisecond,
		Stop: "completed", Overall: results.NewEndpoint("overall", "", "")}
	eps := []results.Endpoint{results.NewEndpoint("products", "GET", "/api/products"), results.NewEndpoint("checkout", "POST", "/api/checkout")}
	for sec := range seconds {
		rate := 20.0
		if sec >= seconds/3 && sec < 2*seconds/3 {
			rate = 60
		}
		second := results.Second{T: sec, Requested: rate}
		h := results.NewHistogram()
		for range int(rate) {
			i := rng.IntN(2)
			lat := time.Duration(2+rng.ExpFloat64()*6*float64(i+1)) * time.Millisecond
			if sec == seconds/2 {
				lat += 300 * time.Millisecond // a hiccup mid-spike
			}
			failed := i == 1 && rng.Float64() < 0.02
			for _, e := range []*results.Endpoint{&eps[i], &s.Overall} {
				e.Requests++
				code := "200"
				if failed {
					e.Errors++
					e.ErrorKinds["http_5xx"]++
					code = "503"
				}
				e.Codes[code]++
				e.Latency.Record(lat)
				e.DueLatency.Record(lat + time.Millisecond)
			}
			h.Record(lat)
			second.Sent++
			if failed {
				second.Errors++
			}
		}
		second.P50, second.P95, second.P99 = h.Quantile(0.5), h.Quantile(0.95), h.Quantile(0.99)
		s.Timeline = append(s.Timeline, second)
	}
	s.Endpoints = eps
	s.Sent, s.Planned = s.Overall.Requests, s.Overall.Requests
	s.Thresholds = []results.ThresholdResult{{Name: "p95 < 500ms", Actual: s.Overall.Latency.Quantile(0.95).String(), Pass: true}}
	if failing {
		s.Thresholds = append(s.Thresholds, results.ThresholdResult{Name: "checkout: error_rate < 1%", Endpoint: "checkout", Actual: "2.10%", Pass: false})
	}
	return s
}

func fixtureReport() *Report {
	ms := time.Millisecond
	flow := results.Run{Version: 1, Scenario: "checkout", Kind: "browser", Env: "staging", Start: t0, Duration: 2400 * ms,
		Status: results.Fail, Reason: `assert_text #thanks: text of #thanks is "Oops", want it to contain "Thank you"`,
		Attempts: []results.Attempt{{Start: t0, Duration: 2400 * ms, Status: results.Fail, TraceID: "4bf92f3577b34da6a3ce929d0e0e4736",
			Steps: []results.Step{
				{Name: "navigate /products/1", Duration: 420 * ms, Status: results.Pass},
				{Name: "click #add-to-cart", Duration: 80 * ms, Status: results.Pass},
				{Name: "place order", Duration: 900 * ms, Status: results.Pass},
				{Name: "assert_text #thanks", Duration: 1000 * ms, Status: results.Fail, Reason: `text of #thanks is "Oops", want it to contain "Thank you"`},
			},
			Navigations:    []results.Navigation{{URL: "http://127.0.0.1:8081/products/1", TTFB: 12 * ms, FCP: 140 * ms, LCP: 180 * ms, CLS: 0.012}},
			ConsoleErrors:  []string{"console.error: payment widget failed"},
			FailedRequests: []string{"POST http://127.0.0.1:8081/api/checkout → 503"},
			Artifacts:      []string{filepath.Join("testdata", "failure.png")},
		}}}
	health := results.Run{Version: 1, Scenario: "health", Kind: "http", Env: "staging", Start: t0, Duration: 3 * ms, Status: results.Pass,
		Attempts: []results.Attempt{{Start: t0, Duration: 3 * ms, Status: results.Pass, Steps: []results.Step{{Name: "GET /api/health", Duration: 3 * ms, Status: results.Pass}},
			HTTP: &results.HTTPTiming{StatusCode: 200, Connect: 200 * time.Microsecond, Processing: 2 * ms}}}}
	g := &results.Gate{LoadTest: "spike", Env: "staging", Mode: "side-by-side", Pairs: 10, Verdict: results.GateFail, Findings: []results.Finding{
		{Endpoint: "products", Metric: "latency p95", Verdict: results.GatePass, Baseline: "20ms", Candidate: "20.2ms", Ratio: 1.01, Lower: 0.97, Upper: 1.05, P: 0.4, PAdjusted: 0.8, NBase: 3000, NCand: 3000, Reason: "any shift is below the minimum effect"},
		{Endpoint: "checkout", Metric: "latency p95", Verdict: results.GateFail, Baseline: "40ms", Candidate: "48ms", Ratio: 1.2, Lower: 1.15, Upper: 1.25, P: 1e-6, PAdjusted: 2e-6, NBase: 3000, NCand: 3000, Reason: "latency p95 went from 40ms to 48ms"},
	}}
	steps := []results.DrillStep{}
	for i, p95 := range []time.Duration{20, 21, 22, 30, 90, 400} {
		rate := float64(50 * (i + 1))
		thr := min(rate, 220)
		steps = append(steps, results.DrillStep{Rate: rate, Achieved: rate, Throughput: thr, P50: p95 * ms * 8 / 10, P95: p95 * ms, P99: p95 * ms * 12 / 10,
			Concurrency: thr * float64(p95) / 1000, OK: p95 < 100, Why: map[bool]string{true: "", false: "p95 above the SLO 100ms"}[p95 < 100], Cause: map[bool]results.Limit{true: "", false: results.LimitTarget}[p95 < 100]})
	}
	d := &results.Drill{LoadTest: "spike", Env: "staging", SLOP95: 100 * ms, SLOErrors: 0.01, Steps: steps, HighestGood: 250, Knee: 150, Limit: "target",
		Bottleneck: "checkout", BottleneckWhy: "its p95 400ms against the SLO 100ms", USL: &results.USL{Lambda: 52, Sigma: 0.05, Kappa: 0.0004, PeakN: 48.7, PeakX: 228, RelErrRMS: 0.04}, Expect: 200, Headroom: 1.25, Passed: true}
	return &Report{Title: "probe: demo-shop on staging", Generated: t0, Runs: []results.Run{flow, health},
		Summaries: []*results.Summary{fixtureSummary(30, true)}, Gates: []*results.Gate{g}, Drills: []*results.Drill{d}}
}

func TestGolden(t *testing.T) {
	for _, format := range Formats {
		t.Run(format, func(t *testing.T) {
			var buf bytes.Buffer
			require.NoError(t, Write(&buf, format, fixtureReport()))
			golden := filepath.Join("testdata", "report"+Extension(format))
			if *update {
				require.NoError(t, os.WriteFile(golden, buf.Bytes(), 0o644))
			}
			want, err := os.ReadFile(golden)
			require.NoError(t, err, "run 'go test ./reports -update' to write it")
			assert.Equal(t, string(want), buf.String())
		})
	}
	assert.Error(t, Write(&bytes.Buffer{}, "pdf", fixtureReport()))
}

func TestVerdictFirst(t *testing.T) {
	var md bytes.Buffer
	require.NoError(t, Markdown(&md, fixtureReport()))
	first, _, _ := strings.Cut(md.String(), "\n")
	assert.Equal(t, "## ❌ FAIL: checkout on staging (fail); spike on staging: checkout: error\\_rate &lt; 1% (actual 2.10%); gate spike on staging: fail (checkout latency p95)", first)

	pass := &Report{Summaries: []*results.Summary{fixtureSummary(5, false)}}
	assert.True(t, pass.Passed())
	assert.Equal(t, "PASS: 0 runs and 1 load tests, all passed", pass.Verdict())
}

func TestJUnitSchema(t *testing.T) {
	xmllint, err := exec.LookPath("xmllint")
	require.NoError(t, err, "run 'make setup' to install xmllint (libxml2-utils)")
	path := filepath.Join(t.TempDir(), "junit.xml")
	var buf bytes.Buffer
	require.NoError(t, JUnit(&buf, fixtureReport()))
	require.NoError(t, os.WriteFile(path, buf.Bytes(), 0o644))
	out, err := exec.Command(xmllint, "--noout", "--schema", filepath.Join("testdata", "junit.xsd"), path).CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Contains(t, string(out), "validates")
	// One testcase per step and per threshold, the whole-profile case, one per
	// gate finding, and per drill step plus the drill's verdict.
	assert.Equal(t, 4+1+2+1+2+6+1, strings.Count(buf.String(), "<testcase "))
	assert.Contains(t, buf.String(), `<failure message="checkout: error_rate &lt; 1%: actual 2.10%" type="threshold">`)
}

func TestReadBack(t *testing.T) {
	dir := t.TempDir()
	r := fixtureReport()
	var runBuf, sumBuf, bundleBuf bytes.Buffer
	require.NoError(t, r.Runs[1].WriteJSON(&runBuf))
	require.NoError(t, r.Summaries[0].WriteJSON(&sumBuf))
	require.NoError(t, JSON(&bundleBuf, r))
	var got Report
	for name, data := range map[string][]byte{"run.json": runBuf.Bytes(), "summary.json": sumBuf.Bytes(), "report.json": bundleBuf.Bytes()} {
		require.NoError(t, Read(filepath.Join(dir, name), data, &got), name)
	}
	assert.Len(t, got.Runs, 3)
	assert.Len(t, got.Summaries, 2)
	assert.Len(t, got.Gates, 1)
	assert.Len(t, got.Drills, 1)

	bad := map[string]string{
		"not JSON":        "<html>",
		"other JSON":      `{"hello": 1}`,
		"summary version": `{"schema": "probe.summary/v9"}`,
		"run status":      `{"version": 1, "scenario": "x", "status": "maybe"}`,
	}
	for name, data := range bad {
		t.Run(name, func(t *testing.T) {
			err := Read("f.json", []byte(data), &got)
			require.Error(t, err)
			assert.True(t, strings.HasPrefix(err.Error(), "f.json: "), err.Error())
		})
	}
}

// TestHourLongReportIsSmall: a one-hour test renders under 2 MB.
func TestHourLongReportIsSmall(t *testing.T) {
	r := &Report{Title: "hour", Summaries: []*results.Summary{fixtureSummary(3600, false)}}
	var buf bytes.Buffer
	require.NoError(t, HTML(&buf, r))
	assert.Less(t, buf.Len(), 2<<20, "%d bytes", buf.Len())
	var js bytes.Buffer
	require.NoError(t, JSON(&js, r))
	assert.Less(t, js.Len(), 2<<20, "JSON too: %d bytes", js.Len())
}

// TestHTMLInBrowser opens the report from disk in headless Chromium: no
// console errors, no request leaves the file, every plot is an SVG; and it
// keeps a screenshot of the page for people to look at.
func TestHTMLInBrowser(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "report.html")
	f, err := os.Create(path)
	require.NoError(t, err)
	require.NoError(t, HTML(f, fixtureReport()))
	require.NoError(t, f.Close())

	chromium, err := exec.LookPath("chromium")
	require.NoError(t, err, "run 'make setup' to install chromium")
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	actx, acancel := chromedp.NewExecAllocator(ctx, scenarios.AllocatorOptions(chromium, t.TempDir())...)
	defer acancel()
	bctx, bcancel := chromedp.NewContext(actx)
	defer bcancel()

	var mu sync.Mutex
	var consoleErrs, requests []string
	require.NoError(t, chromedp.Listen(bctx, func(ev any) {
		mu.Lock()
		defer mu.Unlock()
		switch e := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if e.Type == runtime.ConsoleAPICalledTypeError {
				consoleErrs = append(consoleErrs, string(e.Type))
			}
		case *runtime.EventExceptionThrown:
			consoleErrs = append(consoleErrs, e.ExceptionDetails.Text)
		case *network.EventRequestWillBeSent:
			requests = append(requests, e.Request.URL)
		}
	}))
	require.NoError(t, chromedp.Do(bctx, chromedp.Navigate("file://"+path), chromedp.WaitVisible(chromedp.CSS("main"))))
	plots, err := chromedp.Run(bctx, chromedp.Evaluate[[]int](
		`[...document.querySelectorAll('figure.plot')].map(f => f.querySelectorAll(':scope > svg').length)`))
	require.NoError(t, err)
	assert.Len(t, plots, 8, "a waterfall, four load-test plots and three drill plots")
	for i, n := range plots {
		assert.Equal(t, 1, n, "plot %d has its SVG", i)
	}
	img, err := chromedp.Run(bctx, chromedp.Evaluate[bool](`document.querySelector('img.shot').naturalWidth === 64`))
	require.NoError(t, err)
	assert.True(t, img, "the failure screenshot is embedded and decodes")
	png, err := chromedp.Run(bctx, chromedp.FullScreenshot(100))
	require.NoError(t, err)
	shot := filepath.Join(os.TempDir(), "probe-report-screenshot.png")
	require.NoError(t, os.WriteFile(shot, png, 0o644))
	t.Logf("screenshot of the report: %s", shot)

	mu.Lock()
	defer mu.Unlock()
	assert.Empty(t, consoleErrs)
	for _, u := range requests {
		assert.True(t, strings.HasPrefix(u, "file://") || strings.HasPrefix(u, "data:"), "request left the file: %s", u)
	}
}

// TestFailedDrillFailsEveryFormat: a report holding only a failed drill says
// FAIL first, in the text and in JUnit, as Passed does.
func TestFailedDrillFailsEveryFormat(t *testing.T) {
	d := &results.Drill{LoadTest: "spike", Env: "dev", HighestGood: 100, Expect: 400, Limit: results.LimitTarget,
		Steps: []results.DrillStep{{Rate: 100, Achieved: 100, OK: true}, {Rate: 200, Achieved: 150, Why: "achieved 150.0/s of 200.0/s offered", Cause: results.LimitTarget}}}
	r := &Report{Title: "t", Drills: []*results.Drill{d}}
	assert.False(t, r.Passed())
	assert.True(t, strings.HasPrefix(r.Verdict(), "FAIL: drill spike on dev"), r.Verdict())
	var junit strings.Builder
	require.NoError(t, Write(&junit, "junit", r))
	assert.Contains(t, junit.String(), `failures="1"`)
	assert.Contains(t, junit.String(), `highest good rate 100.0/s, expected 400.0/s`)
	d.Passed, d.Expect = true, 0
	assert.True(t, strings.HasPrefix(r.Verdict(), "PASS"), r.Verdict())
}

// TestSummarySaysWhenNothingJudges: a load test without thresholds passes
// whatever it measured, and its summary says so; with thresholds it does not.
func TestSummarySaysWhenNothingJudges(t *testing.T) {
	const note = "no thresholds: errors and latency are not judged"
	for _, tc := range []struct {
		name       string
		thresholds bool
	}{{"none", false}, {"some", true}} {
		t.Run(tc.name, func(t *testing.T) {
			s := fixtureSummary(3, true)
			require.NotEmpty(t, s.Thresholds, "the fixture has thresholds")
			if !tc.thresholds {
				s.Thresholds = nil
			}
			var b strings.Builder
			require.NoError(t, SummaryText(&b, s, false))
			if tc.thresholds {
				assert.NotContains(t, b.String(), note)
			} else {
				assert.Contains(t, b.String(), note)
			}
		})
	}
}

// TestScreenshotOnlyPNG: the screenshot a run file names is embedded only
// when it is a small regular PNG file; a device streams for ever, a FIFO
// blocks, and another file has no place in a report.
func TestScreenshotOnlyPNG(t *testing.T) {
	png, err := os.ReadFile(filepath.Join("testdata", "failure.png"))
	require.NoError(t, err)
	for _, tc := range []struct {
		name     string
		make     func(t *testing.T, path string)
		embedded bool
	}{
		{"a PNG", func(t *testing.T, p string) { require.NoError(t, os.WriteFile(p, png, 0o600)) }, true},
		{"/dev/zero", func(t *testing.T, p string) { require.NoError(t, os.Symlink("/dev/zero", p)) }, false},
		{"a FIFO", func(t *testing.T, p string) { require.NoError(t, syscall.Mkfifo(p, 0o600)) }, false},
		{"not a PNG", func(t *testing.T, p string) { require.NoError(t, os.WriteFile(p, []byte("root:x:0:0"), 0o600)) }, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), results.FailureScreenshot)
			tc.make(t, p)
			v := runView(results.Run{Scenario: "s", Attempts: []results.Attempt{{Status: results.Fail, Artifacts: []string{p}}}})
			assert.Equal(t, tc.embedded, strings.HasPrefix(string(v.Screenshot), "data:image/png;base64,"), string(v.Screenshot))
		})
	}
}
