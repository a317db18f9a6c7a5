package examples

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gopkg.in/yaml.v3"
)

// TestCIExamples: the pipelines are valid YAML and run the gate the way the
// CLI accepts it, publishing Markdown and JUnit.
func TestCIExamples(t *testing.T) {
	for _, name := range []string{"github-actions.yml", "gitlab-ci.yml"} {
		t.Run(name, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("ci", name))
			require.NoError(t, err)
			var doc map[string]any
			require.NoError(t, yaml.Unmarshal(data, &doc))
			text := string(data)
			for _, want := range []string{"probe gate spike --suite examples/shop --env staging", "--baseline-url", "--candidate-url",
				"--report md,junit,html", "gate-report/report.xml"} {
				assert.Contains(t, strings.Join(strings.Fields(text), " "), want)
			}
		})
	}
}
