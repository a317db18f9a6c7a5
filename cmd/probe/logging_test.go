package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReadLogSettings(t *testing.T) {
	cases := []struct {
		args []string
		want logSettings
	}{
		{[]string{"load", "spike"}, logSettings{format: "text", command: "load"}},
		{[]string{"--log-format", "json", "run", "-v"}, logSettings{format: "json", verbose: 1, command: "run"}},
		{[]string{"-vv", "gate", "--log-format=json"}, logSettings{format: "json", verbose: 2, command: "gate"}},
		{[]string{"check", "--verbose", "--", "-v"}, logSettings{format: "text", verbose: 1, command: "check"}},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.want, readLogSettings(tc.args), "%v", tc.args)
	}
}

// TestLogLevelsAndFormat: one-shot commands log warnings only, daemons info,
// -v one level more; --log-format json writes one JSON object a line.
func TestLogLevelsAndFormat(t *testing.T) {
	cases := []struct {
		args      []string
		info, dbg bool
	}{
		{[]string{"load"}, false, false},
		{[]string{"load", "-v"}, true, false},
		{[]string{"run"}, true, false},
		{[]string{"run", "-v"}, true, true},
	}
	for _, tc := range cases {
		var buf bytes.Buffer
		log := readLogSettings(tc.args).logger(&buf)
		log.Debug("d")
		log.Info("i")
		log.Warn("w")
		out := buf.String()
		assert.Equal(t, tc.info, strings.Contains(out, "msg=i"), "%v: %s", tc.args, out)
		assert.Equal(t, tc.dbg, strings.Contains(out, "msg=d"), "%v: %s", tc.args, out)
		assert.Contains(t, out, "msg=w")
	}
	var buf bytes.Buffer
	readLogSettings([]string{"run", "--log-format", "json"}).logger(&buf).Info("run", "scenario", "health", "env", "dev")
	var line map[string]any
	require.NoError(t, json.Unmarshal(buf.Bytes(), &line), buf.String())
	assert.Equal(t, "health", line["scenario"])

	code, _, stderr := runProbe(t, "validate", "--log-format", "xml")
	assert.Equal(t, exitBadInput, code)
	assert.Contains(t, stderr, `--log-format "xml": want one of text, json`)
}
