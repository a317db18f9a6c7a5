package scenarios

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/probe-dev/probe/demoapp"
	"github.com/probe-dev/probe/demoapp/demotest"
	"github.com/probe-dev/probe/results"
	"github.com/probe-dev/probe/suite"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	sharedOnce sync.Once
	shared     *Browser
	sharedErr  error
)

// sharedBrowser is one Chromium for the package's tests, as the monitor
// shares one for all its flows.
func sharedBrowser(t *testing.T) *Browser {
	t.Helper()
	sharedOnce.Do(func() { shared, sharedErr = NewBrowser("", nil) })
	require.NoError(t, sharedErr)
	return shared
}

func TestMain(m *testing.M) {
	code := m.Run()
	if shared != nil {
		shared.Close()
	}
	os.Exit(code)
}

const secretPassword = "s3cret-Pa55-for-tests"

// tracingShop serves a shop and remembers every traceparent it is sent.
type tracingShop struct {
	*demoapp.Shop
	mu     sync.Mutex
	traces map[string]bool
}

func newTracingShop(t *testing.T) (*tracingShop, string) {
	ts := &tracingShop{Shop: demoapp.New(demoapp.WithPassword(secretPassword)), traces: map[string]bool{}}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if tp := r.Header.Get("traceparent"); tp != "" {
			ts.mu.Lock()
			ts.traces[tp] = true
			ts.mu.Unlock()
		}
		ts.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	return ts, srv.URL
}

// exampleSuite loads the reference suite against url, with the test password.
func exampleSuite(t testing.TB, url string) *suite.Suite {
	t.Helper()
	env := map[string]string{"SHOP_URL": url, "SHOP_PASSWORD": secretPassword}
	s, err := suite.Load("../examples/shop", suite.WithLookupEnv(func(k string) (string, bool) { v, ok := env[k]; return v, ok }))
	require.NoError(t, err)
	return s
}

func TestCheckoutFlow(t *testing.T) {
	shop, url := newTracingShop(t)
	s := exampleSuite(t, url)
	tg, err := TargetFor(s, "dev", "")
	require.NoError(t, err)
	out := t.TempDir()
	r := NewRunner(nil, WithBrowser(sharedBrowser(t)), WithRedactor(s.Redactor), WithArtifacts(out))

	run := r.Run(t.Context(), s.Scenario("checkout"), tg)
	require.Equal(t, results.Pass, run.Status, run.Reason)
	att := run.Last()
	require.Len(t, att.Steps, 17)
	for _, st := range att.Steps {
		assert.Equal(t, results.Pass, st.Status, st.Name)
		assert.Positive(t, st.Duration, st.Name)
	}
	assert.Equal(t, "place order", att.Steps[11].Name)

	// Web Vitals per page load: product, cart, checkout, order.
	require.GreaterOrEqual(t, len(att.Navigations), 4, "%+v", att.Navigations)
	for _, n := range att.Navigations {
		assert.Positive(t, n.TTFB, n.URL)
	}
	// A page the flow leaves before its first paint has no FCP; the order
	// page, where the flow ends with a screenshot, has painted.
	last := att.Navigations[len(att.Navigations)-1]
	assert.Regexp(t, `/order/\d+$`, last.URL)
	assert.Positive(t, last.FCP, "%+v", att.Navigations)
	assert.GreaterOrEqual(t, last.LCP, last.FCP)

	// Every request of the flow carried its attempt's trace id. The example
	// retries once, and on a busy machine a first attempt may time out: its
	// requests carry its own id.
	assert.Regexp(t, `^[0-9a-f]{32}$`, att.TraceID)
	attempts := map[string]bool{}
	for _, a := range run.Attempts {
		attempts[a.TraceID] = true
	}
	shop.mu.Lock()
	lastSeen := false
	for tp := range shop.traces {
		m := regexp.MustCompile(`^00-([0-9a-f]{32})-[0-9a-f]{16}-01$`).FindStringSubmatch(tp)
		require.NotNil(t, m, "traceparent %q", tp)
		assert.True(t, attempts[m[1]], "trace id of %q is no attempt's (%d attempts)", tp, len(run.Attempts))
		lastSeen = lastSeen || m[1] == att.TraceID
	}
	assert.True(t, lastSeen, "the passing attempt's requests carried its trace id")
	shop.mu.Unlock()

	// The screenshot step kept its picture.
	require.Len(t, att.Artifacts, 1)
	assert.Equal(t, "confirmation.png", filepath.Base(att.Artifacts[0]))
	assertNoSecret(t, out, run)
}

// assertNoSecret checks the run and every file under dir for the password.
func assertNoSecret(t *testing.T, dir string, runs ...results.Run) {
	t.Helper()
	for _, run := range runs {
		var buf bytes.Buffer
		require.NoError(t, run.WriteJSON(&buf))
		assert.NotContains(t, buf.String(), secretPassword)
	}
	err := filepath.Walk(dir, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		require.NoError(t, err)
		assert.False(t, bytes.Contains(data, []byte(secretPassword)), "secret in %s", path)
		return nil
	})
	require.NoError(t, err)
}

// TestFlowFaults: each fault of the shop makes the right step fail with the
// right reason.
func TestFlowFaults(t *testing.T) {
	flow := `
  - name: f
    kind: browser
    timeout: 20s
    steps:
      - {navigate: /products/1, timeout: 1500ms}
      - click: "#add-to-cart"
      - {assert_text: {selector: "#added", contains: Added}, timeout: 2s}
      - navigate: /checkout
      - type: {selector: "#password", text: "` + secretPassword + `"}
      - {assert_text: {selector: "h1", equals: Payment}, timeout: 1s}
`
	tests := []struct {
		name      string
		faults    demoapp.Faults
		step      int // index of the step that fails
		status    results.Status
		reason    string
		artifacts bool
	}{
		{"slow route times the step out", demoapp.Faults{Routes: map[string]demoapp.RouteFaults{"product": {Latency: demoapp.Duration(3 * time.Second)}}},
			0, results.Timeout, "navigate /products/1: timed out after 1.5s", true},
		{"503 fails the request's step", demoapp.Faults{Outage: demoapp.Outage503},
			0, results.Fail, "navigate /products/1: HTTP 503 at GET /products/1", true},
		{"broken API breaks the page's assertion", demoapp.Faults{Routes: map[string]demoapp.RouteFaults{"api.cart.add": {ErrorRate: 1}}},
			2, results.Fail, `assert_text #added: text of #added is "Could not add: 500", want it to contain "Added"`, true},
		{"healthy shop, wrong heading", demoapp.Faults{},
			5, results.Fail, `assert_text h1: text of h1 is "Checkout", want "Payment"`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, url := demotest.Start(t, tt.faults, demoapp.WithPassword(secretPassword))
			sc, tg := loadScenario(t, url, flow)
			out := t.TempDir()
			red := redactor{secretPassword}
			run := NewRunner(nil, WithBrowser(sharedBrowser(t)), WithArtifacts(out), WithRedactor(red)).Run(t.Context(), sc, tg)

			assert.Equal(t, tt.status, run.Status)
			assert.Equal(t, tt.reason, run.Reason)
			steps := run.Last().Steps
			require.Len(t, steps, tt.step+1, "the flow stops at the failing step")
			assert.Equal(t, tt.status, steps[tt.step].Status)
			if tt.artifacts {
				names := map[string]bool{}
				for _, a := range run.Last().Artifacts {
					names[filepath.Base(a)] = true
				}
				assert.True(t, names["failure.png"], "screenshot kept: %v", names)
				assert.True(t, names["page.html"] && names["url.txt"] && names["console.log"] && names["network.log"], "%v", names)
			}
			assertNoSecret(t, out, run)
		})
	}
}

// redactor hides fixed values, as the suite's Redactor does.
type redactor []string

func (r redactor) Redact(s string) string {
	for _, v := range r {
		s = regexp.MustCompile(regexp.QuoteMeta(v)).ReplaceAllString(s, suite.Redacted)
	}
	return s
}

func TestFreshContextPerRun(t *testing.T) {
	_, url := demotest.Start(t, demoapp.Faults{})
	add, tg := loadScenario(t, url, `
  - name: add
    kind: browser
    steps:
      - navigate: /products/2
      - click: "#add-to-cart"
      - assert_text: {selector: "#cart-count", equals: "1"}
`)
	look, _ := loadScenario(t, url, `
  - name: look
    kind: browser
    steps:
      - navigate: /cart
      - wait_visible: "#cart-empty"
      - assert_text: {selector: "#cart-count", equals: "0"}
`)
	r := NewRunner(nil, WithBrowser(sharedBrowser(t)))
	first := r.Run(t.Context(), add, tg)
	require.Equal(t, results.Pass, first.Status, first.Reason)
	second := r.Run(t.Context(), look, tg)
	assert.Equal(t, results.Pass, second.Status, "no cookie of the first run: %s", second.Reason)
}

func TestConsoleAndNetworkRecorded(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprint(w, `<!doctype html><title>x</title><h1>hello</h1><img src="/missing.png"><script>console.error("boom", 42); null.x;</script>`)
	}))
	t.Cleanup(srv.Close)
	sc, tg := loadScenario(t, srv.URL, `
  - name: page
    kind: browser
    steps:
      - navigate: /
      - eval: {script: "document.querySelector('h1').textContent", equals: '"hello"'}
      - eval: {script: "1 + 1", equals: "3"}
`)
	run := NewRunner(nil, WithBrowser(sharedBrowser(t))).Run(t.Context(), sc, tg)
	assert.Equal(t, results.Fail, run.Status)
	assert.Equal(t, "eval: script returned 2, want 3", run.Reason)
	att := run.Last()
	require.Len(t, att.ConsoleErrors, 2, "%q", att.ConsoleErrors)
	assert.Equal(t, "console.error: boom 42", att.ConsoleErrors[0])
	assert.Contains(t, att.ConsoleErrors[1], "uncaught ")
	assert.Contains(t, att.ConsoleErrors[1], "TypeError")
	// The browser's own favicon request fails too, and is recorded as it is.
	assert.Contains(t, att.FailedRequests, "GET "+srv.URL+"/missing.png → 404")
}

// TestBrowserKilledMidFlow: a browser that dies under a run is our failure,
// not the target's, and the next run starts a fresh browser.
func TestBrowserKilledMidFlow(t *testing.T) {
	shop, url := demotest.Start(t, demoapp.Faults{Routes: map[string]demoapp.RouteFaults{"product": {Latency: demoapp.Duration(5 * time.Second)}}})
	b, err := NewBrowser("", nil)
	require.NoError(t, err)
	t.Cleanup(b.Close)
	sc, tg := loadScenario(t, url, `
  - name: slow
    kind: browser
    steps:
      - navigate: /products/1
      - wait_visible: "#add-to-cart"
`)
	r := NewRunner(nil, WithBrowser(b))

	done := make(chan results.Run, 1)
	go func() { done <- r.Run(t.Context(), sc, tg) }()
	// Kill the browser while the shop holds the page's request.
	require.Eventually(t, func() bool { return shop.Stats()["product"].InService > 0 }, 30*time.Second, 10*time.Millisecond)
	pid := b.PID()
	require.Positive(t, pid)
	require.NoError(t, syscall.Kill(pid, syscall.SIGKILL))
	killed := <-done
	assert.Equal(t, results.InfraError, killed.Status, killed.Reason)

	require.NoError(t, shop.SetFaults(demoapp.Faults{}))
	next := r.Run(t.Context(), sc, tg)
	assert.Equal(t, results.Pass, next.Status, next.Reason)
	assert.Equal(t, 2, b.Starts(), "a fresh browser")
	assert.NotEqual(t, pid, b.PID())
}

func TestNoBrowser(t *testing.T) {
	_, err := NewBrowser("/nonexistent/chromium", nil)
	require.ErrorIs(t, err, ErrNoBrowser)
	assert.Contains(t, err.Error(), "apt-get install chromium")

	sc, tg := loadScenario(t, "http://127.0.0.1:1", "  - {name: b, kind: browser, steps: [{navigate: /}]}\n")
	run := NewRunner(nil).Run(t.Context(), sc, tg)
	assert.Equal(t, results.InfraError, run.Status)
	assert.Contains(t, run.Reason, "apt-get install chromium")
}

// TestStoppedMidRunIsInterrupted: a run cut because probe is stopping (its
// context cancelled, as on SIGTERM) is probe's own trouble, said as such; not
// a target failure, not a crashed browser. Browser flows and HTTP checks alike.
func TestStoppedMidRunIsInterrupted(t *testing.T) {
	arrived := make(chan struct{}, 4)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/favicon.ico" {
			http.NotFound(w, r)
			return
		}
		arrived <- struct{}{}
		<-r.Context().Done() // answer never comes
	}))
	defer srv.Close()
	for _, sc := range []string{
		"  - {name: s, kind: http, timeout: 60s, request: {url: /slow}}\n",
		"  - {name: s, kind: browser, timeout: 60s, steps: [{navigate: /slow}]}\n",
	} {
		sc, tg := loadScenario(t, srv.URL, sc)
		t.Run(sc.Kind, func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			go func() {
				<-arrived
				cancel()
			}()
			run := NewRunner(nil, WithBrowser(sharedBrowser(t))).Run(ctx, sc, tg)
			assert.Equal(t, results.InfraError, run.Status)
			assert.True(t, strings.HasPrefix(run.Reason, Interrupted), run.Reason)
			assert.NotContains(t, run.Reason, "crashed")
		})
	}
}

// TestAssertURLSaysTheURL: a failed assert_url names the URL the page was
// on, not the empty one a read cut by the deadline returns.
func TestAssertURLSaysTheURL(t *testing.T) {
	_, url := demotest.Start(t, demoapp.Faults{})
	sc, tg := loadScenario(t, url, "  - {name: u, kind: browser, timeout: 20s, steps: [{navigate: /products/1}, {assert_url: {contains: /nope}, timeout: 1s}]}\n")
	run := NewRunner(nil, WithBrowser(sharedBrowser(t))).Run(t.Context(), sc, tg)
	assert.Equal(t, results.Fail, run.Status)
	assert.Contains(t, run.Reason, "URL is "+url+"/products/1, want")
}

// TestBrowserLeavesNothingBehind: Chromium keeps its singleton socket in a
// directory of its own under TMPDIR, which it removes only on a clean exit. A
// monitor restarts browsers that die or hang, and a cron job of `probe run`
// starts one a minute, so each stop, killed or not, must take every file of
// the browser with it. Where TMPDIR is too long for the socket to live in
// probe's own directory, the browser still runs, and the one directory it
// leaves is said in the log.
func TestBrowserLeavesNothingBehind(t *testing.T) {
	_, url := demotest.Start(t, demoapp.Faults{})
	sc, tg := loadScenario(t, url, "  - {name: p, kind: browser, steps: [{navigate: /products/1}, {wait_visible: \"#add-to-cart\"}]}\n")
	for _, tc := range []struct {
		name   string
		tmpdir int // bytes of TMPDIR's path; 0 for a short one
		kills  int
		left   int // directories left in TMPDIR after Close
	}{
		{"closed", 0, 0, 0},
		{"killed and restarted", 0, 2, 0},
		{"TMPDIR too long for probe's own", 50, 0, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// Not t.TempDir: its long name would push the socket's path
			// past the 108 bytes a Unix socket's address holds.
			tmp, err := os.MkdirTemp("", "pt")
			require.NoError(t, err)
			t.Cleanup(func() { os.RemoveAll(tmp) })
			if pad := tc.tmpdir - len(tmp) - 1; pad > 0 {
				tmp = filepath.Join(tmp, strings.Repeat("d", pad))
				require.NoError(t, os.Mkdir(tmp, 0o700))
			}
			t.Setenv("TMPDIR", tmp)
			var log bytes.Buffer
			b, err := NewBrowser("", slog.New(slog.NewTextHandler(&log, nil)))
			require.NoError(t, err)
			r := NewRunner(nil, WithBrowser(b))
			for i := 0; ; i++ {
				run := r.Run(t.Context(), sc, tg)
				require.Equal(t, results.Pass, run.Status, run.Reason)
				if i == tc.kills {
					break
				}
				p, err := os.FindProcess(b.PID())
				require.NoError(t, err)
				lost := b.lostConnection()
				require.NoError(t, p.Kill())
				select {
				case <-lost:
				case <-time.After(30 * time.Second):
					t.Fatal("the connection to the killed browser did not drop in 30s")
				}
				require.False(t, b.healthy(), "the killed browser answered")
			}
			assert.Equal(t, tc.kills+1, b.Starts())
			b.Close()
			left, err := os.ReadDir(tmp)
			require.NoError(t, err)
			var names []string
			for _, e := range left {
				names = append(names, e.Name())
			}
			assert.Len(t, names, tc.left, "left in TMPDIR after Close: %q", names)
			assert.Equal(t, tc.left > 0, strings.Contains(log.String(), "TMPDIR is too long"), log.String())
		})
	}
}

// lostConnection returns the channel chromedp closes when the connection to
// the running browser drops.
func (b *Browser) lostConnection() <-chan struct{} {
	b.mu.Lock()
	defer b.mu.Unlock()
	return chromedp.FromContext(b.ctx).Browser.LostConnection
}
