package reports

import (
	"bytes"
	"regexp"
	"testing"
	"time"

	"github.com/probe-dev/probe/results"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRunsText(t *testing.T) {
	runs := []results.Run{
		{Scenario: "health", Env: "dev", Status: results.Pass, Flaky: true, Attempts: []results.Attempt{
			{Status: results.Fail, Steps: []results.Step{{Name: "GET /api/health", Duration: 3 * time.Millisecond, Status: results.Fail}}},
			{Status: results.Pass, Steps: []results.Step{{Name: "GET /api/health", Duration: 1500 * time.Microsecond, Status: results.Pass}}},
		}},
		{Scenario: "checkout", Env: "dev", Status: results.InfraError, Reason: "no browser", Duration: time.Millisecond},
	}
	var buf bytes.Buffer
	require.NoError(t, RunsText(&buf, runs, false))
	want := "SCENARIO  ENV  STEP             DURATION  STATUS                    REASON\n" +
		"health    dev  GET /api/health  1.5ms     pass (flaky, 2 attempts)  \n" +
		"checkout  dev  -                1.0ms     infra_error               no browser\n" +
		"\n2 runs: 1 pass, 0 fail, 0 timeout, 1 infra_error\n"
	assert.Equal(t, want, buf.String())
}

func TestColourKeepsColumns(t *testing.T) {
	runs := []results.Run{
		{Scenario: "a", Env: "dev", Status: results.Pass, Attempts: []results.Attempt{{Steps: []results.Step{{Name: "x", Status: results.Pass}}}}},
		{Scenario: "b", Env: "dev", Status: results.InfraError, Attempts: []results.Attempt{{Steps: []results.Step{{Name: "y", Status: results.InfraError, Reason: "r"}}}}},
	}
	var plain, coloured bytes.Buffer
	require.NoError(t, RunsText(&plain, runs, false))
	require.NoError(t, RunsText(&coloured, runs, true))
	assert.Contains(t, coloured.String(), "\x1b[32mpass\x1b[0m")
	assert.Contains(t, coloured.String(), "\x1b[33minfra_error\x1b[0m")
	strip := regexp.MustCompile("\x1b\\[[0-9]+m")
	assert.Equal(t, plain.String(), strip.ReplaceAllString(coloured.String(), ""), "same layout once the colour is taken away")
}
