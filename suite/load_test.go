package suite

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// noEnv is an empty process environment, so tests do not depend on the host's.
func noEnv(string) (string, bool) { return "", false }

func envMap(m map[string]string) LookupEnv {
	return func(k string) (string, bool) { v, ok := m[k]; return v, ok }
}

const exampleDir = "../examples/shop"

func TestLoadExample(t *testing.T) {
	s, err := Load(exampleDir, WithLookupEnv(noEnv))
	require.NoError(t, err)

	assert.Equal(t, "demo-shop", s.Name)
	assert.Equal(t, []string{"dev", "prod", "staging"}, s.EnvNames())
	assert.Equal(t, "http://127.0.0.1:8080", s.Environments["dev"].BaseURL)
	assert.True(t, s.Environments["prod"].Protected)
	assert.Equal(t, Rate{Freq: 20, Per: time.Second}, *s.Environments["prod"].MaxRate)
	assert.Len(t, s.Files, 5)

	health := s.Scenario("health")
	require.NotNil(t, health)
	assert.Equal(t, KindHTTP, health.Kind)
	assert.Equal(t, "GET", health.Request.Method, "method defaults to GET")
	assert.Equal(t, []int{200}, health.Expect.Status, "a single status is a list of one")
	assert.Equal(t, 15*time.Second, health.Schedule.Interval.Std())
	assert.Equal(t, 5*time.Second, health.Timeout.Std())
	assert.Equal(t, 1, *health.Retries, "retries come from defaults")
	assert.Equal(t, []string{"dev", "prod", "staging"}, health.Envs, "no envs means all")

	checkout := s.Scenario("checkout")
	require.NotNil(t, checkout)
	require.Len(t, checkout.Steps, 17)
	assert.Equal(t, "navigate /products/1", checkout.Steps[0].Name)
	assert.Equal(t, "place order", checkout.Steps[11].Name)
	assert.Equal(t, 15*time.Second, checkout.Steps[11].Timeout.Std())
	assert.Equal(t, DefaultStepTimeout, checkout.Steps[0].Timeout.Std())
	assert.Equal(t, 30*time.Second, checkout.Schedule.Jitter.Std())
	assert.Equal(t, "demo-password", checkout.Steps[9].Type.Text)

	flow := s.Scenario("api-order")
	require.NotNil(t, flow)
	require.Len(t, flow.Steps, 6)
	assert.True(t, *flow.Cookies, "cookies are on by default")
	login := flow.Steps[1]
	assert.Equal(t, "POST", login.Request.Method)
	assert.Equal(t, "GET", flow.Steps[4].Request.Method, "method defaults to GET in steps too")
	assert.Equal(t, "read order", flow.Steps[4].Name)
	assert.True(t, flow.Steps[5].Always)
	assert.False(t, flow.Steps[4].Always)
	assert.Equal(t, Capture{Name: "token", JSON: "$.token", Secret: true}, *login.Capture[0])
	assert.Equal(t, filepath.Join(exampleDir, "scenarios"), flow.Dir, "body_file is relative to the scenario's file")
	assert.Contains(t, login.Request.Body, `"password": "demo-password"`)
	assert.True(t, s.Redactor.Secret(login.Request.Body), "the password is a secret")

	spike := s.LoadTest("spike")
	require.NotNil(t, spike)
	assert.Equal(t, []string{"dev", "staging"}, spike.Envs)
	require.Len(t, spike.Targets, 3)
	for i, tt := range []struct {
		name   string
		weight int
		steps  []string
	}{
		{"browse", 80, []string{"products", "product"}},
		{"cart", 15, []string{"products", "product", "add"}},
		{"checkout", 5, []string{"browse", "login", "add to cart", "checkout", "read order", "delete order"}},
	} {
		tg := spike.Targets[i]
		assert.Equal(t, tt.name, tg.Name)
		assert.True(t, tg.IsJourney(), tt.name)
		assert.Equal(t, tt.weight, *tg.Weight, tt.name)
		var names []string
		for _, st := range tg.Steps {
			names = append(names, st.Name)
		}
		assert.Equal(t, tt.steps, names, tt.name)
	}
	assert.Same(t, flow.Steps[0], spike.Targets[2].Steps[0], "the checkout journey is the API flow's steps, by reference")
	assert.Equal(t, "POST", spike.Targets[1].Steps[2].Request.Method)
	assert.Equal(t, Rate{Freq: 100, Per: time.Second}, spike.Profile[1].Spike.Rate)
	assert.Equal(t, 5000, spike.Limits.MaxRequests)
	assert.Equal(t, 2000, spike.MaxUsers)
	assert.InDelta(t, 0.005, float64(*spike.Thresholds[4].ErrorRate), 1e-12)
	assert.Equal(t, "browse: products", spike.Thresholds[4].Endpoint)
	assert.Equal(t, "checkout", spike.Thresholds[5].Journey)

	assert.InDelta(t, 0.995, float64(s.SLOs.Availability.Target), 1e-12)
	assert.Equal(t, 30*24*time.Hour, s.SLOs.Availability.Window.Std())

	// The default password came through a secret variable: it is redacted.
	assert.Equal(t, "text "+Redacted, s.Redactor.Redact("text demo-password"))
}

func TestLoadExpandsVariables(t *testing.T) {
	s, err := Load(exampleDir, WithLookupEnv(envMap(map[string]string{
		"SHOP_URL":      "http://127.0.0.1:9999",
		"SHOP_PASSWORD": "hunter2-long-secret",
	})))
	require.NoError(t, err)
	assert.Equal(t, "http://127.0.0.1:9999", s.Environments["dev"].BaseURL)
	assert.Equal(t, "hunter2-long-secret", s.Scenario("checkout").Steps[9].Type.Text)
	assert.Equal(t, "pw="+Redacted, s.Redactor.Redact("pw=hunter2-long-secret"))
	assert.True(t, s.Redactor.Secret("x hunter2-long-secret y"))
	assert.False(t, s.Redactor.Secret("http://127.0.0.1:9999"), "a URL is not secret")
}

func TestExpand(t *testing.T) {
	ex := newExpander(envMap(map[string]string{"A": "1", "API_TOKEN": "tok", "PLAIN": "p"}), []string{"PLAIN"})
	tests := []struct{ in, want, err string }{
		{in: "no vars", want: "no vars"},
		{in: "${A}", want: "1"},
		{in: "x${A}y${A}", want: "x1y1"},
		{in: "${B:-dflt}", want: "dflt"},
		{in: "${A:-dflt}", want: "1"},
		{in: "$${A}", want: "${A}"},
		{in: "cost $5 and ^a$", want: "cost $5 and ^a$"},
		{in: "${B}", err: "environment variable B is not set: set it, or write ${B:-default}"},
		{in: "${A", err: "unclosed ${: write ${NAME}, or $${ for a literal ${"},
		{in: "${1x}", err: `${1x}: "1x" is not a variable name (letters, digits and _)`},
		{in: "${API_TOKEN}-${PLAIN}", want: "tok-p"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := ex.expand(tt.in)
			if tt.err != "" {
				require.EqualError(t, err, tt.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.want, got)
		})
	}
	r := newRedactor(ex.values)
	assert.Equal(t, Redacted+"-"+Redacted, r.Redact("tok-p"), "named and declared secrets are both redacted")
}

func TestScalars(t *testing.T) {
	tests := []struct {
		in   string
		into scalar
		want any
		err  string
	}{
		{in: "300ms", into: new(Duration), want: Duration(300 * time.Millisecond)},
		{in: "30d", into: new(Duration), want: Duration(30 * 24 * time.Hour)},
		{in: "1d12h", into: new(Duration), want: Duration(36 * time.Hour)},
		{in: "0s", into: new(Duration), err: "must be more than zero"},
		{in: "-5s", into: new(Duration), err: `want a duration like 300ms, 30s, 5m or 30d, got "-5s"`},
		{in: "5 s", into: new(Duration), err: `want a duration like 300ms, 30s, 5m or 30d, got "5 s"`},
		{in: "106751d23h", into: new(Duration), want: Duration(106751*24*time.Hour + 23*time.Hour)},
		{in: "213504d", into: new(Duration), err: `"213504d" is more than a duration holds (106751 days, about 292 years)`}, // wrapped to 25m
		{in: "106751d24h", into: new(Duration), err: `"106751d24h" is more than a duration holds (106751 days, about 292 years)`},
		{in: "1dxx", into: new(Duration), err: `want a duration like 300ms, 30s, 5m or 30d, got "1dxx"`},
		{in: "500/s", into: new(Rate), want: Rate{500, time.Second}},
		{in: "30000/m", into: new(Rate), want: Rate{30000, time.Minute}},
		{in: "2/h", into: new(Rate), want: Rate{2, time.Hour}},
		{in: "0/s", into: new(Rate), err: "must be more than zero"},
		{in: "50", into: new(Rate), err: `want a rate like 50/s, 3000/m or 10/h, got "50"`},
		{in: "5/d", into: new(Rate), err: `want a rate like 50/s, 3000/m or 10/h, got "5/d"`},
		{in: "99.9%", into: new(Percent), want: Percent(0.999)},
		{in: "1%", into: new(Percent), want: Percent(0.01)},
		{in: "150%", into: new(Percent), err: "150% is more than 100%"},
		{in: "0.5", into: new(Percent), err: `want a percentage like 99.9% or 1%, got "0.5"`},
		{in: "1e2%", into: new(Percent), err: `want a percentage like 99.9% or 1%, got "1e2%"`},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			err := tt.into.parse(tt.in)
			if tt.err != "" {
				require.EqualError(t, err, tt.err)
				return
			}
			require.NoError(t, err)
			switch v := tt.into.(type) {
			case *Duration:
				assert.InDelta(t, float64(tt.want.(Duration)), float64(*v), 1)
			case *Rate:
				assert.Equal(t, tt.want, *v)
			case *Percent:
				assert.InDelta(t, float64(tt.want.(Percent)), float64(*v), 1e-12)
			}
		})
	}
	assert.Equal(t, "30d", Duration(30*24*time.Hour).String())
	assert.Equal(t, "500/s", Rate{500, time.Second}.String())
	assert.Equal(t, "99.9%", Percent(0.999).String())
}

// TestLoadMultiFile is the acceptance case: three mistakes across two
// files are all reported, sorted, each at file:line:column.
func TestLoadMultiFile(t *testing.T) {
	dir := filepath.Join("testdata", "three-mistakes")
	_, err := Load(dir, WithLookupEnv(noEnv))
	var errs Errors
	require.ErrorAs(t, err, &errs)
	want := []string{
		filepath.Join(dir, "probe.yaml") + `:5:5: environments.staging.protectd: unknown field "protectd" (did you mean "protected"?)`,
		filepath.Join(dir, "scenarios", "health.yaml") + `:4:12: scenarios[0].envs[0]: unknown environment "stagin" (did you mean "staging"?); the suite defines dev, staging`,
		filepath.Join(dir, "scenarios", "health.yaml") + `:9:20: scenarios[0].expect.max_latency: want a duration like 300ms, 30s, 5m or 30d, got "5 seconds"`,
	}
	assert.Equal(t, want, strings.Split(errs.Error(), "\n"))
}

func TestLoadPaths(t *testing.T) {
	tests := []struct {
		name, path, err string
	}{
		{"missing", "testdata/nope", "no suite found at testdata/nope: give a folder with probe.yaml or a .yaml file"},
		{"folder without probe.yaml", "testdata", "no suite found in testdata: it has no probe.yaml (run 'probe validate examples/shop' to see a suite)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(tt.path)
			require.EqualError(t, err, tt.err)
			assert.True(t, errors.Is(err, ErrNoSuite))
		})
	}
}

func TestLoadOneFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "suite.yaml")
	require.NoError(t, os.WriteFile(path, []byte(validBase+`
scenarios:
  - name: up
    kind: http
    request: {url: /api/health}
`), 0o600))
	s, err := Load(path, WithLookupEnv(noEnv))
	require.NoError(t, err)
	assert.Equal(t, []string{path}, s.Files)
	assert.Equal(t, "up", s.Scenarios[0].Name)
	assert.Nil(t, s.Scenarios[0].Expect, "no expectations: the runner checks for 2xx")
}

func TestLoadRedactsSecretsInErrors(t *testing.T) {
	yaml := "secrets: [SHOP_URL]\nenvironments:\n  dev:\n    base_url: ${SHOP_URL}\n    headers: {Authorization: \"${API_TOKEN}\"}\n"
	_, err := LoadBytes("suite.yaml", []byte(yaml), WithLookupEnv(envMap(map[string]string{
		"SHOP_URL":  "not-a-url-but-secret",
		"API_TOKEN": "tok-123",
	})))
	var errs Errors
	require.ErrorAs(t, err, &errs)
	assert.Equal(t, `suite.yaml:4:15: environments.dev.base_url: "[redacted]" is not an absolute http(s) URL, like http://127.0.0.1:8080`, errs.Error())
}

func TestRedactorWith(t *testing.T) {
	var none *Redactor
	r := none.With("tok-1", "")
	assert.Equal(t, "Bearer "+Redacted, r.Redact("Bearer tok-1"))
	r = r.With("tok-1-long") // a secret holding another is hidden whole
	assert.Equal(t, Redacted+" "+Redacted, r.Redact("tok-1-long tok-1"))
	assert.Equal(t, "keep", none.Redact("keep"))
}

// TestRedactURLPassword: a URL's password is hidden whether or not the suite
// declares it (a --base-url, a Pushgateway), and nothing else of the URL.
func TestRedactURLPassword(t *testing.T) {
	var none *Redactor
	for _, tc := range []struct{ in, want string }{
		{"GET http://user:pw@127.0.0.1:8080/api?x=1", "GET http://user:" + Redacted + "@127.0.0.1:8080/api?x=1"},
		{"https://:tok@h/ and ftp://a:b@c", "https://:" + Redacted + "@h/ and ftp://a:" + Redacted + "@c"},
		{"http://user@127.0.0.1/ has no password", "http://user@127.0.0.1/ has no password"},
		{"mail me at a:b@c", "mail me at a:b@c"},
		{"http://127.0.0.1/a:b@c", "http://127.0.0.1/a:b@c"},
	} {
		assert.Equal(t, tc.want, none.Redact(tc.in), tc.in)
		assert.Equal(t, tc.want != tc.in, none.Secret(tc.in), tc.in)
		assert.Equal(t, tc.want, none.With("unrelated").Redact(tc.in), tc.in)
	}
}

// TestGateEndpoints: the gate's flags are checked against these names, so
// they must be the names its results carry.
func TestGateEndpoints(t *testing.T) {
	s, err := LoadBytes("suite.yaml", []byte(validBase+`scenarios:
  - {name: one, kind: http, request: {url: /api/health}}
  - name: flow
    kind: http
    steps:
      - {name: login, request: {url: /login, method: POST}}
      - request: {url: /cart}
loadtests:
  - name: l
    targets:
      - {name: health, path: /api/health}
      - {name: buy, scenario: flow}
      - name: browse
        journey: [{request: {url: /products}}]
    profile: [{constant: {rate: 10/s, duration: 1s}}]
    limits: {max_duration: 5s, max_requests: 100}
`), WithLookupEnv(noEnv))
	require.NoError(t, err)
	for _, tc := range []struct {
		name string
		want []string
	}{
		{"l", []string{"health", "buy: login", "buy: GET /cart", "browse: GET /products"}},
		{"flow", []string{"login", "GET /cart"}},
		{"one", []string{"GET /api/health"}},
		{"nope", nil},
	} {
		assert.Equal(t, tc.want, s.GateEndpoints(tc.name), tc.name)
	}
}
