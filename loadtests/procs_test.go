package loadtests

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// wide is the test's own GOMAXPROCS: the tests below skip where the user
// set one (procs leaves it alone) or there is one processor only.
func wide(t *testing.T) int {
	t.Helper()
	n := runtime.GOMAXPROCS(0)
	if os.Getenv("GOMAXPROCS") != "" || n < 2 {
		t.Skip("GOMAXPROCS is set, or there is one processor: nothing to narrow")
	}
	return n
}

// TestProcsNesting: runs one after another or together; any that does not
// fit one processor, or the last to end, gives every processor back.
func TestProcsNesting(t *testing.T) {
	n := wide(t)
	var p procs
	p.acquire(true)
	assert.Equal(t, 1, runtime.GOMAXPROCS(0), "a low run narrows")
	p.acquire(true)
	assert.Equal(t, 1, runtime.GOMAXPROCS(0), "a second low one keeps it narrow")
	p.acquire(false)
	assert.Equal(t, n, runtime.GOMAXPROCS(0), "a heavy one widens")
	p.release()
	p.release()
	assert.Equal(t, n, runtime.GOMAXPROCS(0), "and it stays wide while the first goes on")
	assert.False(t, p.widen(), "already wide")
	p.release()
	assert.Equal(t, n, runtime.GOMAXPROCS(0))
	p.acquire(true)
	assert.True(t, p.widen(), "narrowed again, widened")
	p.release()
	assert.Equal(t, n, runtime.GOMAXPROCS(0))
}

// TestLoadOnOneProcessor: a test whose load fits one processor starts on
// one; one beside a goroutine that keeps that processor busy is widened
// while it runs, as its goroutines wait; one whose peak does not fit starts
// wide. Every processor is back when each ends. (Whether a test that fits
// stays on one is not asserted: a busy machine may rightly widen it.)
func TestLoadOnOneProcessor(t *testing.T) {
	n := wide(t)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer srv.Close()
	for _, tt := range []struct {
		name    string
		rate    string
		hog     bool
		started int  // processors it started on
		widened bool // must be widened (one that fits may be, on a busy machine)
	}{
		{"fits one", "200/s", false, 1, false},
		{"fits one, beside a busy goroutine", "200/s", true, 1, true},
		{"does not fit one", "4000/s", false, n, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			lt := loadTest(t, `
  - name: procs
    targets: [{name: root, path: /}]
    profile: [{constant: {rate: `+tt.rate+`, duration: 2s}}]
    limits: {max_duration: 10s, max_requests: 20000}
`)
			ctx, cancel := context.WithCancel(t.Context())
			var hogs sync.WaitGroup
			defer func() { cancel(); hogs.Wait() }()
			// The handler serialises its writes (the watch's goroutine logs
			// too), and the buffer is read only after Run has waited for it.
			var logged bytes.Buffer
			log := slog.New(slog.NewJSONHandler(&logged, &slog.HandlerOptions{Level: slog.LevelDebug}))
			o := Options{Env: "dev", BaseURL: srv.URL, Log: log}
			if tt.hog {
				// Started at the first progress report, while the test
				// runs on one processor: it then holds that one.
				var once sync.Once
				o.Progress = func(Progress) {
					once.Do(func() {
						hogs.Add(1)
						go func() {
							defer hogs.Done()
							for ctx.Err() == nil {
							}
						}()
					})
				}
			}
			s, err := Run(ctx, lt, o)
			require.NoError(t, err)
			// On a machine busy with other work, 4000/s may not all be sent;
			// what is not is counted as dropped, and the generator named.
			assert.Equal(t, s.Planned, s.Sent+s.Dropped, "every send made or counted")
			if s.Sent < s.Planned {
				assert.NotNil(t, s.Generator, "sends dropped: the generator names itself the limit")
			}
			assert.Equal(t, n, runtime.GOMAXPROCS(0), "every processor back at the end")
			text := logged.String()
			assert.Contains(t, text, fmt.Sprintf(`"msg":"generator processors","loadtest":"procs","env":"dev","procs":%d`, tt.started))
			switch widened := strings.Contains(text, "generator widened to every processor"); {
			case tt.widened:
				assert.True(t, widened, text)
			case tt.started == n:
				assert.False(t, widened, "a test started wide has nothing to widen: %s", text)
			}
		})
	}
}
