package demoapp

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// startShop serves a fresh shop on a free loopback port for one test.
func startShop(t *testing.T, opts ...Option) (*Shop, *Server) {
	t.Helper()
	shop := New(opts...)
	srv, err := Start(t.Context(), shop, "127.0.0.1:0", "")
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, srv.Close()) })
	return shop, srv
}

// client keeps cookies, as a shopper's browser does.
func client(t *testing.T) *http.Client {
	jar, err := cookiejar.New(nil)
	require.NoError(t, err)
	return &http.Client{Jar: jar}
}

func do(t *testing.T, c *http.Client, method, url, body string) (int, string) {
	t.Helper()
	return call(t, c, method, url, "", body)
}

// call sends one request, with a bearer token unless tok is empty.
func call(t *testing.T, c *http.Client, method, url, tok, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), method, url, strings.NewReader(body))
	require.NoError(t, err)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if tok != "" {
		req.Header.Set("Authorization", "Bearer "+tok)
	}
	res, err := c.Do(req)
	require.NoError(t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	require.NoError(t, err)
	return res.StatusCode, string(b)
}

func TestRoutes(t *testing.T) {
	shop, srv := startShop(t)
	c := client(t)
	tests := []struct {
		route, method, path, body string
		status                    int
		contains                  string
	}{
		{"home", "GET", "/", "", 200, "Welcome to the Demo Shop"},
		{"products", "GET", "/products", "", 200, `id="product-20"`},
		{"product", "GET", "/products/3", "", 200, `<h1 id="product-name">Mug</h1>`},
		{"product", "GET", "/products/99", "", 404, "not found"},
		{"cart", "GET", "/cart", "", 200, "Your cart is empty"},
		{"checkout", "GET", "/checkout", "", 200, `<form id="checkout-form">`},
		{"order", "GET", "/order/7", "", 200, `<span id="order-id">7</span>`},
		{"api.health", "GET", "/api/health", "", 200, `"status":"ok"`},
		{"api.products", "GET", "/api/products", "", 200, `"count":20`},
		{"api.product", "GET", "/api/products/1", "", 200, `"name":"Espresso"`},
		{"api.product", "GET", "/api/products/x", "", 404, "no such product"},
		{"api.cart.add", "POST", "/api/cart", `{"product_id":2,"qty":3}`, 200, `"count":3`},
		{"api.cart.add", "POST", "/api/cart", `{"product_id":2,"qty":0}`, 400, "qty from 1 to 100"},
		{"api.cart.add", "POST", "/api/cart", `{"product":2}`, 400, "unknown field"},
		{"api.cart", "GET", "/api/cart", "", 200, `"items":[{"product_id":2,"qty":3}]`},
		{"cart", "GET", "/cart", "", 200, "<td>Teapot</td><td>3</td>"},
		{"api.checkout", "POST", "/api/checkout", `{"email":"a@b.c","password":"nope","country":"DE"}`, 401, "wrong password"},
		{"api.checkout", "POST", "/api/checkout", `{"email":"a","password":"demo-password","country":"DE"}`, 400, "valid e-mail"},
		{"api.checkout", "POST", "/api/checkout", `{"email":"a@b.c","password":"demo-password","country":""}`, 400, "choose a country"},
		{"api.checkout", "POST", "/api/checkout", `{"email":"a@b.c","password":"demo-password","country":"DE"}`, 200, `"order_id":1`},
		{"api.checkout", "POST", "/api/checkout", `{"email":"a@b.c","password":"demo-password","country":"DE"}`, 400, "cart is empty"},
	}
	want := map[string]int64{}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			code, body := do(t, c, tt.method, srv.URL()+tt.path, tt.body)
			assert.Equal(t, tt.status, code, body)
			assert.Contains(t, body, tt.contains)
		})
		want[tt.route]++
	}
	// Ground truth counts every request once, under its route.
	got := map[string]int64{}
	for name, s := range shop.Stats() {
		got[name] = s.Requests
	}
	assert.Equal(t, want, got)
	assert.Equal(t, int64(2), shop.Stats()["product"].Status[200]+shop.Stats()["product"].Status[404])
}

func TestAdminEndpoints(t *testing.T) {
	shop, srv := startShop(t)
	c := http.DefaultClient

	code, body := do(t, c, "PUT", srv.URL()+"/_admin/faults", `{"routes":{"api.products":{"latency":"5ms","error_rate":0.5}}}`)
	require.Equal(t, 200, code, body)
	assert.Equal(t, Duration(5e6), shop.Faults().Routes["api.products"].Latency)

	code, body = do(t, c, "GET", srv.URL()+"/_admin/faults", "")
	assert.Equal(t, 200, code)
	assert.JSONEq(t, `{"routes":{"api.products":{"latency":"5ms","error_rate":0.5}}}`, body)

	bad := []struct{ name, body, err string }{
		{"unknown route", `{"routes":{"api.nope":{"latency":"5ms"}}}`, `route \"api.nope\": unknown`},
		{"bad duration", `{"stall":"soon"}`, `want a duration like \"50ms\"`},
		{"unknown field", `{"stal":"1s"}`, `unknown field \"stal\"`},
		{"error rate above 1", `{"routes":{"*":{"error_rate":5}}}`, `error_rate 5 is not between 0 and 1`},
		{"bad outage", `{"outage":"sometimes"}`, `outage \"sometimes\"`},
	}
	for _, tt := range bad {
		t.Run(tt.name, func(t *testing.T) {
			code, body := do(t, c, "PUT", srv.URL()+"/_admin/faults", tt.body)
			assert.Equal(t, 400, code)
			assert.Contains(t, body, tt.err)
		})
	}
	// A rejected change leaves the faults in force alone.
	assert.Equal(t, 0.5, shop.Faults().Routes["api.products"].ErrorRate)

	do(t, c, "GET", srv.URL()+"/api/health", "")
	code, body = do(t, c, "GET", srv.URL()+"/_admin/stats", "")
	require.Equal(t, 200, code)
	var st map[string]RouteStats
	require.NoError(t, json.Unmarshal([]byte(body), &st))
	assert.Equal(t, int64(1), st["api.health"].Requests)

	code, body = do(t, c, "GET", srv.URL()+"/metrics", "")
	assert.Equal(t, 200, code)
	assert.Contains(t, body, `demo_shop_requests_total{code="200",route="api.health"} 1`)

	code, _ = do(t, c, "POST", srv.URL()+"/_admin/reset", "")
	assert.Equal(t, 200, code)
	assert.Equal(t, Faults{}, shop.Faults())
	assert.Zero(t, shop.Stats()["api.health"].Requests)
}

func TestParseRouteFault(t *testing.T) {
	tests := []struct {
		in    string
		route string
		want  RouteFaults
		err   string
	}{
		{in: "api.products:latency=50ms,spread=10ms", route: "api.products", want: RouteFaults{Latency: Duration(50e6), Spread: Duration(10e6)}},
		{in: "*:capacity=4,service_time=20ms", route: "*", want: RouteFaults{Capacity: 4, ServiceTime: Duration(20e6)}},
		{in: "home:error_rate=5%", route: "home", want: RouteFaults{ErrorRate: 0.05}},
		{in: "home:error_rate=0.5", route: "home", want: RouteFaults{ErrorRate: 0.5}},
		{in: "latency=5ms", err: `fault "latency=5ms": want ROUTE:key=value,… like api.products:latency=50ms,error_rate=5%`},
		{in: "home:latency", err: `fault "home:latency": "latency" is not key=value`},
		{in: "home:delay=5ms", err: `fault "home:delay=5ms": delay: unknown key; keys are latency, spread, sigma, hit_rate, miss_latency, tail, error_rate, capacity, service_time`},
		{in: "nope:latency=5ms", err: `faults: route "nope": unknown; routes are ` + strings.Join(RouteNames(), ", ")},
		{in: "home:error_rate=150%", err: `faults: route "home": error_rate 1.5 is not between 0 and 1`},
		{in: "home:sigma=NaN", err: `faults: route "home": sigma is 0..3, hit_rate 0..1, tail 0..100`},
		{in: "home:error_rate=NaN", err: `faults: route "home": error_rate NaN is not between 0 and 1`},
		{in: "home:latency=-5ms", err: `fault "home:latency=-5ms": latency: want a duration like "50ms", got "-5ms"`},
		{in: "home:service_time=soon", err: `fault "home:service_time=soon": service_time: want a duration like "50ms", got "soon"`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			route, rf, err := ParseRouteFault(tt.in)
			if tt.err != "" {
				require.EqualError(t, err, tt.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.route, route)
			assert.Equal(t, tt.want, rf)
		})
	}
}
