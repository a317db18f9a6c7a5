package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDockerfile reads the Dockerfile (no Docker engine runs here): its stages,
// the paths it copies from the repository, a non-root user, the health check
// on the daemon's /healthz and probe as the entrypoint.
func TestDockerfile(t *testing.T) {
	data, err := os.ReadFile("../../Dockerfile")
	require.NoError(t, err)
	text := string(data)
	froms := regexp.MustCompile(`(?m)^FROM (\S+) AS (\S+)$`).FindAllStringSubmatch(text, -1)
	require.Len(t, froms, 2)
	assert.Equal(t, "build", froms[0][2])
	assert.True(t, strings.HasPrefix(froms[1][1], "debian:bookworm-slim"))
	for _, m := range regexp.MustCompile(`(?m)^COPY (\S+(?: \S+)*) \S+$`).FindAllStringSubmatch(text, -1) {
		if strings.HasPrefix(m[1], "--from=") {
			continue // from another stage, not the repository
		}
		for _, src := range strings.Fields(m[1]) {
			if src == "." {
				continue
			}
			_, err := os.Stat(filepath.Join("../..", src))
			assert.NoError(t, err, "COPY %s: not in the repository", src)
		}
	}
	build := regexp.MustCompile(`go build .* (\./\S+)`).FindStringSubmatch(text)
	require.NotNil(t, build)
	assert.DirExists(t, filepath.Join("../..", build[1]))
	assert.Regexp(t, `(?m)^USER probe$`, text)
	assert.NotRegexp(t, `(?m)^USER root`, text)
	assert.Contains(t, text, "HEALTHCHECK")
	assert.Contains(t, text, "/healthz")
	assert.Contains(t, text, `ENTRYPOINT ["probe"]`)
	assert.Contains(t, text, "chromium")
	// The daemon listens where the health check and EXPOSE look.
	assert.Contains(t, text, "EXPOSE 9464")
	assert.Contains(t, text, `"--listen", "0.0.0.0:9464"`)
}
