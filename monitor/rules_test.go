package monitor

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/probe-dev/probe/suite"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRules: the committed rules are what the example suite generates, and
// Prometheus' own promtool accepts them, passes their unit tests and accepts
// the example configuration that loads them.
func TestRules(t *testing.T) {
	s, err := suite.Load("../examples/shop", suite.WithLookupEnv(func(string) (string, bool) { return "", false }))
	require.NoError(t, err)
	committed, err := os.ReadFile("../deploy/prometheus/rules.yml")
	require.NoError(t, err)
	assert.Equal(t, Rules(s), string(committed), "regenerate: probe rules --suite examples/shop > deploy/prometheus/rules.yml")

	promtool, err := exec.LookPath("promtool")
	require.NoError(t, err, "run 'make setup' to install prometheus (promtool)")
	for _, args := range [][]string{
		{"check", "rules", filepath.Join("..", "deploy", "prometheus", "rules.yml")},
		{"test", "rules", filepath.Join("..", "deploy", "prometheus", "rules_test.yml")},
		// The example configuration, with the rule files it names.
		{"check", "config", filepath.Join("..", "deploy", "prometheus", "prometheus.yml")},
	} {
		out, err := exec.Command(promtool, args...).CombinedOutput()
		assert.NoError(t, err, "promtool %v:\n%s", args, out)
		assert.Contains(t, string(out), "SUCCESS")
	}
}
