// Package scenarios runs one scenario of a suite once against one environment
// and returns a results.Run: HTTP checks, one request or steps of requests
// with captured values, a cookie jar per run and cleanup steps (http.go,
// capture.go; phases timed as blackbox_exporter does), and browser flows in
// headless Chromium (chromedp), with retries, artifacts of failures, and
// secrets (the suite's and secret captures) redacted.
//
// Each scenario kind is its own file and one entry of the kinds table
// (kinds.go), which says how it runs, which concurrency pool of probe run it
// draws on, and whether it needs the browser; Check refuses a suite with a
// kind or a browser step that has no runner. Browser steps are one entry
// each of the stepKinds map.
//
// It imports suite and results, never loadtests or anything above it.
package scenarios
