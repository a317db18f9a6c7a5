package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/probe-dev/probe/demoapp"
	"github.com/probe-dev/probe/demoapp/demotest"
	"github.com/probe-dev/probe/results"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestReportFromSavedResults runs a check and a load test with --report,
// then renders their saved files together, and merges shard summaries.
func TestReportFromSavedResults(t *testing.T) {
	_, url := demotest.Start(t, demoapp.Faults{})
	suitePath := loadSuite(t, url)
	checkSuite := filepath.Join(t.TempDir(), "check.yaml")
	require.NoError(t, os.WriteFile(checkSuite, []byte(`
environments:
  dev: {base_url: "`+url+`"}
scenarios:
  - {name: health, kind: http, request: {url: /api/health}, expect: {status: 200}}
`), 0o600))
	runs, load, shards := t.TempDir(), t.TempDir(), t.TempDir()

	code, stdout, stderr := runProbe(t, "check", "--env", "dev", "--suite", checkSuite, "--out", runs, "--report", "junit,md")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "report written to "+filepath.Join(runs, "report.xml"))
	assert.FileExists(t, filepath.Join(runs, "report.md"))

	code, stdout, stderr = runProbe(t, "load", "quick", "--env", "dev", "--suite", suitePath, "--out", load, "--report", "html")
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "report written to "+filepath.Join(load, "report.html"))

	html := filepath.Join(t.TempDir(), "all.html")
	code, _, stderr = runProbe(t, "report", filepath.Join(runs, "health-dev.json"), filepath.Join(load, "quick-dev.json"),
		"--format", "html", "--out", html, "--title", "release 42")
	require.Equal(t, 0, code, stderr)
	page, err := os.ReadFile(html)
	require.NoError(t, err)
	assert.Contains(t, string(page), "<title>release 42</title>")
	assert.Contains(t, string(page), "Load test quick on dev")
	assert.Contains(t, string(page), "<td>health</td><td>dev</td>")

	code, stdout, _ = runProbe(t, "report", filepath.Join(load, "quick-dev.json"), "--format", "md")
	require.Equal(t, 0, code)
	assert.True(t, strings.HasPrefix(stdout, "## ✅ PASS"), stdout)

	// Two shards, merged.
	for _, shard := range []string{"0/2", "1/2"} {
		code, _, stderr = runProbe(t, "load", "quick", "--env", "dev", "--suite", suitePath, "--out", shards, "--shard", shard)
		require.Equal(t, 0, code, stderr)
	}
	merged := filepath.Join(t.TempDir(), "merged.json")
	code, _, stderr = runProbe(t, "report", "merge", filepath.Join(shards, "quick-dev-shard0of2.json"), filepath.Join(shards, "quick-dev-shard1of2.json"), "--out", merged)
	require.Equal(t, 0, code, stderr)
	f, err := os.Open(merged)
	require.NoError(t, err)
	defer f.Close()
	s, err := results.ReadSummary(f)
	require.NoError(t, err)
	assert.Equal(t, int64(80), s.Sent, "two halves make the whole")
	assert.Equal(t, int64(80), s.Overall.Latency.Count())
}

func TestReportBadInput(t *testing.T) {
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk.json")
	require.NoError(t, os.WriteFile(junk, []byte(`{"hello": 1}`), 0o600))
	tests := []struct {
		name   string
		args   []string
		stderr string
	}{
		{"no files", []string{"report"}, "give at least one result file"},
		{"missing file", []string{"report", filepath.Join(dir, "nope.json")}, filepath.Join(dir, "nope.json") + " does not exist"},
		{"not a result", []string{"report", junk}, junk + ": not a probe result"},
		{"bad format", []string{"report", junk, "--format", "pdf"}, `--format "pdf": want one of text, html, md, junit, json`},
		{"merge nothing", []string{"report", "merge"}, "give the shard summaries to merge"},
		{"merge junk", []string{"report", "merge", junk}, junk + ": not a probe result: want a run (probe check), a summary (probe load)"},
		{"bad --report", []string{"check", "--report", "pdf"}, `--report pdf: "pdf" is not a format; want a list of`},
		{"an empty --report item", []string{"check", "--report", "text,,html"}, `--report text,,html: "" is not a format; want a list of`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runProbe(t, tt.args...)
			assert.Equal(t, 2, code, stderr)
			assert.Contains(t, stderr, tt.stderr)
		})
	}
}

// TestReportFormatsOnce: a format given twice is written once.
func TestReportFormatsOnce(t *testing.T) {
	got, err := reportFormats("html, md,html")
	require.NoError(t, err)
	assert.Equal(t, []string{"html", "md"}, got)
}
