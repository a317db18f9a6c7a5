package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/probe-dev/probe/demoapp"
	"github.com/probe-dev/probe/demoapp/demotest"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestEveryResultFileReadsBack: each JSON file a command writes (a check's
// runs, a load test's summary, a merged summary, a drill, a gate's and a
// load test's report bundle) is read by probe report, and those that hold
// measurements by probe gate too.
func TestEveryResultFileReadsBack(t *testing.T) {
	_, url := demotest.Start(t, demoapp.Faults{})
	dir := t.TempDir()
	s := filepath.Join(dir, "s.yaml")
	require.NoError(t, os.WriteFile(s, []byte(strings.ReplaceAll(batterySuite, "{url}", url)+
		"scenarios:\n  - {name: up, kind: http, request: {url: /api/health}}\n"), 0o600))
	at := func(p string) string { return filepath.Join(dir, p) }
	steps := []struct {
		args  []string
		wrote []string
	}{
		{[]string{"check", "--env", "dev", "--suite", s, "--out", at("runs"), "--report", "json"}, []string{"runs/up-dev.json", "runs/report.json"}},
		{[]string{"load", "lt", "--env", "dev", "--suite", s, "--out", at("load"), "--report", "json"}, []string{"load/lt-dev.json", "load/report.json"}},
		{[]string{"load", "lt", "--env", "dev", "--suite", s, "--out", at("shards"), "--shard", "0/1"}, []string{"shards/lt-dev.json"}},
		{[]string{"report", "merge", at("shards/lt-dev.json"), "--out", at("merged/lt.json")}, []string{"merged/lt.json"}},
		{[]string{"drill", "lt", "--env", "dev", "--suite", s, "--start", "10/s", "--step", "10/s", "--max", "10/s", "--step-duration", "1s", "--out", at("drill")},
			[]string{"drill/lt-dev-drill.json"}},
		{[]string{"gate", "--baseline", at("load/lt-dev.json"), "--candidate", at("merged/lt.json"), "--out", at("gate"), "--report", "json"}, []string{"gate/report.json"}},
	}
	var written []string
	for _, st := range steps {
		code, stdout, stderr := runProbe(t, st.args...)
		require.Contains(t, []int{0, 1, 4}, code, "%v\nstdout: %s\nstderr: %s", st.args, stdout, stderr)
		for _, w := range st.wrote {
			require.FileExists(t, at(w), "%v", st.args)
			written = append(written, at(w))
		}
	}
	for _, f := range written {
		code, _, stderr := runProbe(t, "report", f, "--format", "text")
		assert.Contains(t, []int{0, 1}, code, "probe report %s: %s", f, stderr)
	}
	code, _, stderr := runProbe(t, append([]string{"report", "--format", "json", "--out", at("all.json")}, written...)...)
	require.Contains(t, []int{0, 1}, code, stderr)
	code, _, stderr = runProbe(t, "report", at("all.json"))
	assert.Contains(t, []int{0, 1}, code, "a bundle of bundles reads back: %s", stderr)
	for _, pair := range [][2]string{{"load/lt-dev.json", "merged/lt.json"}, {"runs/up-dev.json", "runs/up-dev.json"}, {"runs", "runs/up-dev.json"}} {
		code, _, stderr := runProbe(t, "gate", "--baseline", at(pair[0]), "--candidate", at(pair[1]), "--out", t.TempDir())
		assert.NotEqual(t, exitBadInput, code, "probe gate on %v: %s", pair, stderr)
	}
}
