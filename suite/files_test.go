package suite

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestLoadRefusesFilesThatAreNotSmallRegularFiles covers suite files and
// body files that would block (a FIFO), stream without end (a device), or
// point nowhere: each is refused before it is read, as ErrUnreadable, with a
// message that names the problem.
func TestLoadRefusesFilesThatAreNotSmallRegularFiles(t *testing.T) {
	bodyTest := func(body string) string {
		return validBase + "loadtests:\n  - name: l\n    targets:\n      - {name: a, path: /a, method: POST, body_file: " + body + "}\n" +
			"    profile:\n      - constant: {rate: 10/s, duration: 1s}\n    limits: {max_duration: 5s, max_requests: 100}\n"
	}
	cases := []struct {
		name  string
		setup func(t *testing.T, dir string) string // returns the path to load
		want  string
	}{
		{"a FIFO as the suite file", func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "s.yaml")
			require.NoError(t, syscall.Mkfifo(p, 0o600))
			return p
		}, "is not a regular file (a named pipe)"},
		{"a symlink loop", func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "s.yaml")
			require.NoError(t, os.Symlink(p, p))
			return p
		}, "is a symlink loop"},
		{"a probe.yaml that loops", func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "probe.yaml")
			require.NoError(t, os.Symlink(p, p))
			return dir
		}, "probe.yaml is a symlink loop"},
		{"a dangling symlink", func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "s.yaml")
			require.NoError(t, os.Symlink("gone.yaml", p))
			return p
		}, "is a symlink to gone.yaml, which does not exist"},
		{"a folder named like a scenario file", func(t *testing.T, dir string) string {
			require.NoError(t, os.WriteFile(filepath.Join(dir, "probe.yaml"), []byte(validBase), 0o600))
			require.NoError(t, os.MkdirAll(filepath.Join(dir, "scenarios", "x.yaml"), 0o700))
			return dir
		}, "x.yaml is a folder, not a file"},
		{"a suite file over the cap", func(t *testing.T, dir string) string {
			p := filepath.Join(dir, "s.yaml")
			require.NoError(t, os.WriteFile(p, []byte(validBase+"#"+strings.Repeat("x", maxFileSize)+"\n"), 0o600))
			return p
		}, "over the limit of 4.0 MiB"},
		{"a body_file linked to /dev/zero", func(t *testing.T, dir string) string {
			require.NoError(t, os.Symlink("/dev/zero", filepath.Join(dir, "zero.json")))
			p := filepath.Join(dir, "s.yaml")
			require.NoError(t, os.WriteFile(p, []byte(bodyTest("zero.json")), 0o600))
			return p
		}, "zero.json is not a regular file (a device)"},
		{"a FIFO as body_file", func(t *testing.T, dir string) string {
			require.NoError(t, syscall.Mkfifo(filepath.Join(dir, "fifo.json"), 0o600))
			p := filepath.Join(dir, "s.yaml")
			require.NoError(t, os.WriteFile(p, []byte(bodyTest("fifo.json")), 0o600))
			return p
		}, "fifo.json is not a regular file (a named pipe)"},
		{"a body_file over the cap", func(t *testing.T, dir string) string {
			f, err := os.Create(filepath.Join(dir, "big.json"))
			require.NoError(t, err)
			require.NoError(t, f.Truncate(MaxBodyFile+1)) // sparse: no disk used
			require.NoError(t, f.Close())
			p := filepath.Join(dir, "s.yaml")
			require.NoError(t, os.WriteFile(p, []byte(bodyTest("big.json")), 0o600))
			return p
		}, "over the limit of 16.0 MiB"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			path := tc.setup(t, t.TempDir())
			_, err := Load(path, WithLookupEnv(noEnv))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			var errs Errors
			if !errors.As(err, &errs) { // body files are suite mistakes, at file:line
				assert.ErrorIs(t, err, ErrUnreadable)
			}
		})
	}
}
