package reports

import (
	"bytes"
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
	require.NoError(t, RunsText(&buf, runs))
	want := "SCENARIO  ENV  STEP             DURATION  STATUS                    REASON\n" +
		"health    dev  GET /api/health  1.5ms     pass (flaky, 2 attempts)  \n" +
		"checkout  dev  -                1.0ms     infra_error               no browser\n" +
		"\n2 runs: 1 pass, 0 fail, 0 timeout, 1 infra_error\n"
	assert.Equal(t, want, buf.String())
}
