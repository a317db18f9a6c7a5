package main

import (
	"bufio"
	"context"
	"database/sql"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/probe-dev/probe/demoapp"
	"github.com/probe-dev/probe/demoapp/demotest"
	"github.com/probe-dev/probe/store"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// upSuite is one HTTP check run every second against url.
func upSuite(t *testing.T, url string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "up.yaml")
	require.NoError(t, os.WriteFile(p, []byte("environments:\n  dev:\n    base_url: "+url+"\n"+
		"scenarios:\n  - name: up\n    kind: http\n    schedule: {interval: 1s}\n    request: {url: /api/health}\n"), 0o600))
	return p
}

// startRun starts `probe run` and returns its status page's base URL and a
// channel with its exit code and stderr once ctx ends.
func startRun(t *testing.T, ctx context.Context, args ...string) (string, <-chan runExit) {
	t.Helper()
	pr, pw := io.Pipe()
	var errOut strings.Builder
	lw := &lockedWriter{w: &errOut}
	done := make(chan runExit, 1)
	go func() {
		code := run(ctx, append([]string{"run", "--listen", "127.0.0.1:0"}, args...), pw, lw)
		pw.Close()
		lw.mu.Lock()
		defer lw.mu.Unlock()
		done <- runExit{code, errOut.String()}
	}()
	line, err := bufio.NewReader(pr).ReadString('\n')
	require.NoError(t, err)
	go io.Copy(io.Discard, pr) //nolint:errcheck // the rest of its output
	_, base, ok := strings.Cut(strings.TrimSpace(line), "status page at ")
	require.True(t, ok, line)
	return base, done
}

type runExit struct {
	code   int
	stderr string
}

// TestRunHistoryInUse: a second daemon on the same history is refused,
// naming the first one's pid; once the first has stopped, the lock is gone.
func TestRunHistoryInUse(t *testing.T) {
	_, url := demotest.Start(t, demoapp.Faults{})
	s := upSuite(t, url)
	history := filepath.Join(t.TempDir(), "h.db")
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	_, done := startRun(t, ctx, "--suite", s, "--history", history)

	code, _, stderr := runProbe(t, "run", "--suite", s, "--history", history, "--listen", "127.0.0.1:0")
	assert.Equal(t, exitCouldNotRun, code)
	assert.Contains(t, stderr, "history in use: "+history+" is held by pid ")

	cancel()
	require.Equal(t, 0, (<-done).code)
	ctx2, cancel2 := context.WithCancel(t.Context())
	base, done2 := startRun(t, ctx2, "--suite", s, "--history", history)
	assert.Eventually(t, func() bool {
		res, err := http.Get(base + "readyz")
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK
	}, 30*time.Second, 10*time.Millisecond, "the second daemon, on the history the first let go, gets ready")
	cancel2()
	assert.Equal(t, 0, (<-done2).code)
}

// TestRunUnwritableHistory: with a history that cannot be written, here
// because another program holds SQLite's exclusive lock on it, the daemon probes
// on, /readyz says why it is not ready, and the runs it could not store make
// its exit non-zero with a word in the log. (A path that can never be a
// history is refused at start: TestBadInputBattery.)
func TestRunUnwritableHistory(t *testing.T) {
	_, url := demotest.Start(t, demoapp.Faults{})
	s := upSuite(t, url)
	cases := []struct {
		name  string
		setup func(t *testing.T, path string)
	}{
		{"locked by another program", func(t *testing.T, p string) {
			h, err := store.Open(t.Context(), p)
			require.NoError(t, err)
			require.NoError(t, h.Close())
			db, err := sql.Open("sqlite", p)
			require.NoError(t, err)
			conn, err := db.Conn(context.Background())
			require.NoError(t, err)
			// Out of WAL, an exclusive lock keeps readers out too, so the
			// history does not even open.
			for _, q := range []string{"PRAGMA journal_mode = DELETE", "BEGIN EXCLUSIVE"} {
				_, err = conn.ExecContext(context.Background(), q)
				require.NoError(t, err, q)
			}
			t.Cleanup(func() {
				_, _ = conn.ExecContext(context.Background(), "ROLLBACK")
				conn.Close()
				db.Close()
			})
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			history := filepath.Join(t.TempDir(), "h.db")
			tc.setup(t, history)
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			base, done := startRun(t, ctx, "--suite", s, "--history", history)
			// Not ready, first because probing has not begun, then because of
			// the history; never ready.
			var everReady atomic.Bool
			require.Eventually(t, func() bool {
				res, err := http.Get(base + "readyz")
				if err != nil {
					return false
				}
				body, _ := io.ReadAll(res.Body)
				res.Body.Close()
				if res.StatusCode == http.StatusOK {
					everReady.Store(true)
				}
				return strings.Contains(string(body), "the history cannot be written")
			}, 30*time.Second, 10*time.Millisecond)
			assert.False(t, everReady.Load(), "/readyz said ready with a history that cannot be written")
			require.Eventually(t, func() bool {
				return regexp.MustCompile(`probe_runs_total\{env="dev",scenario="up",status="pass"\} [1-9]`).MatchString(get(t, base+"metrics"))
			}, 30*time.Second, 50*time.Millisecond, "probing goes on")
			cancel()
			exit := <-done
			assert.Equal(t, exitCouldNotRun, exit.code)
			assert.Contains(t, exit.stderr, "history unwritable")
			assert.Regexp(t, `\d+ runs? (was|were) never written to the history and lost`, exit.stderr)
		})
	}
}

// lockedWriter lets several goroutines write one buffer.
type lockedWriter struct {
	mu sync.Mutex
	w  io.Writer
}

func (l *lockedWriter) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.w.Write(p)
}
