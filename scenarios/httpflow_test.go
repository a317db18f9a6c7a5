package scenarios

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/probe-dev/probe/demoapp"
	"github.com/probe-dev/probe/demoapp/demotest"
	"github.com/probe-dev/probe/results"
	"github.com/probe-dev/probe/suite"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// exampleFlow loads the api-order flow of examples/shop against url.
func exampleFlow(t *testing.T, url string, env map[string]string) (*suite.Scenario, Target) {
	t.Helper()
	s, err := suite.Load("../examples/shop", suite.WithLookupEnv(func(name string) (string, bool) {
		if name == "SHOP_URL" {
			return url, true
		}
		v, ok := env[name]
		return v, ok
	}))
	require.NoError(t, err)
	tg, err := TargetFor(s, "dev", "")
	require.NoError(t, err)
	sc := s.Scenario("api-order")
	require.NotNil(t, sc)
	return sc, tg
}

func stepNames(a results.Attempt) []string {
	var names []string
	for _, st := range a.Steps {
		names = append(names, st.Name+":"+string(st.Status))
	}
	return names
}

// TestHTTPFlowAgainstShop runs the example API flow against the demo shop,
// healthy and broken in the ways a flow breaks, and checks which steps ran,
// what they said, and that the shop holds no order afterwards.
func TestHTTPFlowAgainstShop(t *testing.T) {
	all := []string{"browse:pass", "login:pass", "add to cart:pass", "checkout:pass", "read order:pass", "delete order:pass"}
	tests := []struct {
		name     string
		faults   demoapp.Faults
		password string
		steps    []string
		reason   string // the run's reason starts with it
		failing  string
		orders   int // left in the shop
	}{
		{name: "healthy", steps: all},
		{name: "wrong password", password: "not-the-password",
			steps: []string{"browse:pass", "login:fail"}, reason: "login: status 401, want 200", failing: "login"},
		{name: "read back fails, cleanup still runs",
			faults:  demoapp.Faults{Routes: map[string]demoapp.RouteFaults{"api.order": {ErrorRate: 1}}},
			steps:   []string{"browse:pass", "login:pass", "add to cart:pass", "checkout:pass", "read order:fail", "delete order:pass"},
			reason:  "read order: status 500, want 200",
			failing: "read order"},
		{name: "a failing cleanup does not hide the first failure",
			faults:  demoapp.Faults{Routes: map[string]demoapp.RouteFaults{"api.order": {ErrorRate: 1}, "api.order.delete": {ErrorRate: 1}}},
			steps:   []string{"browse:pass", "login:pass", "add to cart:pass", "checkout:pass", "read order:fail", "delete order:fail"},
			reason:  "read order: status 500, want 200; json $.id missing; json $.items[0].qty missing; then delete order failed too: status 500, want 204",
			failing: "read order", orders: 1},
		{name: "checkout fails: nothing to clean up",
			faults:  demoapp.Faults{Routes: map[string]demoapp.RouteFaults{"api.checkout": {ErrorRate: 1}}},
			steps:   []string{"browse:pass", "login:pass", "add to cart:pass", "checkout:fail"},
			reason:  "checkout: status 500, want 200",
			failing: "checkout"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			shop, url := demotest.Start(t, tt.faults)
			env := map[string]string{}
			if tt.password != "" {
				env["SHOP_PASSWORD"] = tt.password
			}
			sc, tg := exampleFlow(t, url, env)
			sc.Retries = new(int)
			run := NewRunner(nil).Run(t.Context(), sc, tg)
			a := run.Last()
			assert.Equal(t, tt.steps, stepNames(a))
			assert.Equal(t, tt.failing, a.FailingStep())
			if tt.reason == "" {
				assert.Equal(t, results.Pass, run.Status, run.Reason)
			} else {
				assert.Equal(t, results.Fail, run.Status)
				assert.True(t, strings.HasPrefix(run.Reason, tt.reason), "reason %q, want it to start %q", run.Reason, tt.reason)
			}
			for _, st := range a.Steps {
				require.NotNil(t, st.HTTP, st.Name)
				assert.Positive(t, st.Duration, st.Name)
				assert.Positive(t, st.HTTP.Connect, "%s: a fresh connection per step", st.Name)
				assert.Positive(t, st.HTTP.Processing, "%s: time to first byte", st.Name)
			}
			assert.Len(t, a.TraceID, 32)
			assert.Equal(t, tt.orders, shop.Orders(), "every order the flow placed was deleted, unless the delete failed")
		})
	}
}

// TestHTTPFlowCaptures: a capture that finds nothing fails its step, naming
// the expression and quoting the response, with the secret capture taken
// from that very response redacted; each source of a capture works.
func TestHTTPFlowCaptures(t *testing.T) {
	shop, url := demotest.Start(t, demoapp.Faults{})
	sc, tg := loadScenario(t, url, `
  - name: f
    kind: http
    steps:
      - name: login
        request: {method: POST, url: /api/login, body: '{"email": "a@b.c", "password": "demo-password"}'}
        capture:
          - {name: token, json: $.token, secret: true}
          - {name: status, status: true}
          - {name: type, header: content-type}
          - {name: kind, regex: '"token_type":"(\w+)"'}
      - name: cart
        request: {method: POST, url: /api/cart, body: '{"product_id": 2, "qty": 1}'}
        capture: [{name: session, cookie: shop_session}]
      - name: echo
        request:
          url: '/api/orders'
          query: {s: '{{capture "status"}}-{{capture "type"}}-{{capture "kind"}}-{{capture "session"}}'}
          headers: {Authorization: 'Bearer {{capture "token"}}'}
        expect: {json: [{path: $.count, equals: "0"}]}
        capture: [{name: missing, json: '$.orders[0].id'}]
`)
	run := NewRunner(nil).Run(t.Context(), sc, tg)
	a := run.Last()
	require.Equal(t, []string{"login:pass", "cart:pass", "echo:fail"}, stepNames(a))
	assert.Equal(t, `echo: capture missing: $.orders[0].id found nothing in the body "{\"count\":0,\"orders\":[]}\n"`, run.Reason)

	// A capture that misses quotes the body, where the token is: redacted.
	sc, tg = loadScenario(t, url, `
  - name: g
    kind: http
    steps:
      - name: login
        request: {method: POST, url: /api/login, body: '{"email": "a@b.c", "password": "demo-password"}'}
        capture: [{name: token, json: $.token, secret: true}, {name: nope, json: $.user.id}]
`)
	run = NewRunner(nil).Run(t.Context(), sc, tg)
	assert.Contains(t, run.Reason, `login: capture nope: $.user.id found nothing in the body "{`)
	assert.Contains(t, run.Reason, `\"token\":\"`+suite.Redacted+`\"`)
	tokens := shop.Tokens()
	require.Len(t, tokens, 2)
	for _, tok := range tokens {
		assert.NotContains(t, run.Reason, tok)
	}
}

// TestHTTPFlowSessions: cookies carry from step to step within a run, never
// from one run to the next, and not at all with cookies: false; every step
// of a run sends the run's one traceparent.
func TestHTTPFlowSessions(t *testing.T) {
	shop := demoapp.New()
	var mu sync.Mutex
	var parents []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		parents = append(parents, r.Header.Get("traceparent"))
		mu.Unlock()
		shop.ServeHTTP(w, r)
	}))
	defer srv.Close()
	flow := func(cookies string) string {
		return `
  - name: f
    kind: http
    cookies: ` + cookies + `
    steps:
      - request: {url: /api/cart}
        expect: {json: [{path: count, equals: "0"}]}
      - request: {method: POST, url: /api/cart, body: '{"product_id": 2, "qty": 1}'}
      - request: {url: /api/cart}
        expect: {json: [{path: count, equals: "1"}]}
`
	}
	r := NewRunner(nil)
	sc, tg := loadScenario(t, srv.URL, flow("true"))
	for i := range 2 {
		run := r.Run(t.Context(), sc, tg)
		require.Equal(t, results.Pass, run.Status, "run %d: %s", i+1, run.Reason)
		mu.Lock()
		require.Len(t, parents, 3)
		for _, p := range parents {
			assert.True(t, strings.HasPrefix(p, "00-"+run.Last().TraceID+"-"), "every step sends the run's trace id, got %q", p)
		}
		parents = nil
		mu.Unlock()
	}
	sc, tg = loadScenario(t, srv.URL, flow("false"))
	run := r.Run(t.Context(), sc, tg)
	assert.Equal(t, results.Fail, run.Status)
	assert.Equal(t, "GET /api/cart: json count is 0, want 1", run.Reason)
}

// TestHTTPFlowRendersRequests: captured values reach a later step's path,
// query, headers and body, encoded where they go.
func TestHTTPFlowRendersRequests(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/first" {
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write([]byte(`{"id": "a b/c", "n": 3}`))
			return
		}
		body, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "%s %s\nX-Id: %s\n%s", r.Method, r.RequestURI, r.Header.Get("X-Id"), body)
	}))
	defer srv.Close()
	sc, tg := loadScenario(t, srv.URL, `
  - name: f
    kind: http
    steps:
      - request: {url: /first}
        capture: [{name: id, json: $.id}, {name: n, json: $.n}]
      - request:
          method: POST
          url: '/items/{{capture "n"}}?keep=1'
          query: {q: '{{capture "id"}}'}
          headers: {X-Id: '{{capture "id"}}'}
          body: '{"id": "{{capture "id"}}"}'
        expect:
          body_contains: ['POST /items/3?keep=1&q=a+b%2Fc', 'X-Id: {{capture "id"}}', '{"id": "a b/c"}']
`)
	run := NewRunner(nil).Run(t.Context(), sc, tg)
	assert.Equal(t, results.Pass, run.Status, run.Reason)
	assert.Equal(t, []string{"GET /first:pass", `POST /items/{{capture "n"}}?keep=1:pass`}, stepNames(run.Last()),
		"a step without a name is named by its request as written, so its metrics stay one series")
}
