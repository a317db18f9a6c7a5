package results

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRunJSONRoundTrip(t *testing.T) {
	in := &Run{Scenario: "health", Kind: "http", Env: "dev", Start: time.Unix(1700000000, 0).UTC(),
		Duration: 12 * time.Millisecond, Status: Fail, Reason: "status 503, want 200",
		Attempts: []Attempt{{Status: Fail, Reason: "status 503, want 200", Steps: []Step{{Name: "GET /", Status: Fail}},
			HTTP: &HTTPTiming{StatusCode: 503, Connect: time.Millisecond}}}}
	var buf bytes.Buffer
	require.NoError(t, in.WriteJSON(&buf))
	assert.Contains(t, buf.String(), `"version": 1`)
	out, err := ReadRun(&buf)
	require.NoError(t, err)
	assert.Equal(t, in, out)
}

func TestReadRunRejects(t *testing.T) {
	tests := []struct{ name, json, err string }{
		{"other version", `{"version": 9, "status": "pass"}`, "read run: version 9, this probe reads version 1"},
		{"unknown status", `{"version": 1, "status": "meh"}`, `read run: unknown status "meh"`},
		{"unknown field", `{"version": 1, "status": "pass", "extra": 1}`, `read run: json: unknown field "extra"`},
		{"not JSON", `<html>`, "read run: invalid character '<' looking for beginning of value"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ReadRun(strings.NewReader(tt.json))
			require.EqualError(t, err, tt.err)
		})
	}
}
