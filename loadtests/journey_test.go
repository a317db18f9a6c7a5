package loadtests

import (
	"bytes"
	"fmt"
	"math"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/probe-dev/probe/demoapp"
	"github.com/probe-dev/probe/demoapp/demotest"
	"github.com/probe-dev/probe/results"
	"github.com/probe-dev/probe/suite"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// loadTestIn reads one load test from a suite file written to dir, with the
// files it names beside it.
func loadTestIn(t *testing.T, dir, text string, files map[string]string) *suite.LoadTest {
	t.Helper()
	for name, content := range files {
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600))
	}
	path := filepath.Join(dir, "probe.yaml")
	require.NoError(t, os.WriteFile(path, []byte("environments:\n  dev: {base_url: \"http://127.0.0.1:1\"}\nloadtests:\n"+text), 0o600))
	s, err := suite.Load(path, suite.WithLookupEnv(func(string) (string, bool) { return "", false }))
	require.NoError(t, err)
	return s.LoadTests[0]
}

// campaign is the shop's campaign mix: browse only, browse and add to the
// cart, and all the way to an order, 80/15/5.
const campaign = `
  - name: campaign
    targets:
      - name: browse
        weight: 80
        think: {fixed: 5ms}
        journey:
          - {name: list, request: {url: /api/products}}
          - {name: view, request: {url: "/api/products/{{randInt 1 20}}"}}
      - name: cart
        weight: 15
        think: {uniform: {min: 1ms, max: 10ms}}
        journey: &cart
          - {name: list, request: {url: /api/products}}
          - name: add
            request: {method: POST, url: /api/cart, headers: {Content-Type: application/json}, body: '{"product_id": {{randInt 1 20}}, "qty": 2}'}
            capture: [{name: product, json: "$.items[0].product_id"}]
          - name: look
            request: {url: /api/cart}
            expect: {json: [{path: $.count, equals: "2"}, {path: "$.items[0].product_id", equals: '{{capture "product"}}'}]}
      - name: checkout
        weight: 5
        think: {exponential: 5ms}
        data: {file: users.csv}
        journey:
          - {name: list, request: {url: /api/products}}
          - name: add
            request: {method: POST, url: /api/cart, headers: {Content-Type: application/json}, body: '{"product_id": 3, "qty": 1}'}
          - name: login
            request: {method: POST, url: /api/login, headers: {Content-Type: application/json}, body: '{"email": "{{data "email"}}", "password": "demo-password"}'}
            capture: [{name: token, json: $.token, secret: true}]
          - name: pay
            request: {method: POST, url: /api/checkout, headers: {Content-Type: application/json, Authorization: 'Bearer {{capture "token"}}'}, body: '{"country": "NL"}'}
            expect: {json: [{path: $.items, equals: "1"}]}
            capture: [{name: order, json: $.order_id}]
          - name: order
            request: {url: '/api/orders/{{capture "order"}}', headers: {Authorization: 'Bearer {{capture "token"}}'}}
            expect: {json: [{path: $.email, equals: '{{data "email"}}'}]}
    profile: [{constant: {rate: 200/s, duration: 5s}}]
    thresholds:
      - {endpoint: "checkout: pay", p95: 5s}
      - {journey: checkout, error_rate: 1%}
    limits: {max_duration: 30s, max_requests: 10000}
`

func users(n int) string {
	var b strings.Builder
	b.WriteString("email\n")
	for i := range n {
		fmt.Fprintf(&b, "user%d@example.com\n", i)
	}
	return b.String()
}

// TestJourneysAgainstShop runs the campaign mix against the demo shop and
// holds the summary to the shop's own ground truth: every cart holds what
// its journey added, the orders are the completed checkouts, and each
// journey took its share of the arrivals.
func TestJourneysAgainstShop(t *testing.T) {
	shop, url := demotest.Start(t, demoapp.Faults{})
	lt := loadTestIn(t, t.TempDir(), campaign, map[string]string{"users.csv": users(50)})
	m := NewMetrics()
	var progress []Progress
	s, err := Run(t.Context(), lt, Options{Env: "dev", BaseURL: url, Metrics: m, Progress: func(p Progress) { progress = append(progress, p) }})
	require.NoError(t, err)
	require.Equal(t, "completed", s.Stop)
	require.Len(t, s.Journeys, 3)
	require.NotEmpty(t, progress)
	for _, p := range progress {
		assert.Equal(t, int64(1000), p.Planned, "planned arrivals")
		assert.LessOrEqual(t, p.Arrived, p.Planned)
		assert.Contains(t, p.String(), fmt.Sprintf("arrivals %d/1000", p.Arrived))
	}
	assert.Greater(t, progress[len(progress)-1].Sent, progress[len(progress)-1].Arrived, "a journey sends more than one request")

	const arrivals = 1000
	var started int64
	for _, tt := range []struct {
		name  string
		share float64
		steps int
	}{{"browse", 0.80, 2}, {"cart", 0.15, 3}, {"checkout", 0.05, 5}} {
		j := s.Journey(tt.name)
		require.NotNil(t, j, tt.name)
		started += j.Started
		sd := math.Sqrt(arrivals * tt.share * (1 - tt.share))
		assert.InDelta(t, arrivals*tt.share, float64(j.Started), 5*sd, "%s: its share of arrivals", tt.name)
		assert.Equal(t, j.Started, j.Completed, "%s: every journey completed; failed at %v", tt.name, j.FailedAt)
		assert.Zero(t, j.Dropped)
		assert.Equal(t, j.Completed, j.Duration.Count())
		for i, step := range j.Steps {
			e := s.Endpoint(step)
			require.NotNil(t, e, step)
			assert.Equal(t, j.Reached(i), e.Requests, "%s: each user sent each step once", e.Name)
			assert.Zero(t, e.Errors, "%s: %v", e.Name, e.ErrorKinds)
			assert.GreaterOrEqual(t, e.DueLatency.Quantile(0.5), e.Latency.Quantile(0.5), e.Name)
		}
		assert.Equal(t, float64(j.Started), testutil.ToFloat64(m.journeys.WithLabelValues("campaign", "dev", tt.name, "started")))
		assert.Equal(t, float64(j.Completed), testutil.ToFloat64(m.journeys.WithLabelValues("campaign", "dev", tt.name, "completed")))
	}
	assert.Equal(t, int64(arrivals), started, "every arrival started a journey")
	assert.Equal(t, s.Overall.Requests, s.Sent)

	// The shop's ground truth: the cart journeys' carts, each with the two
	// items it added (a checkout empties its own), and one order per
	// completed checkout.
	carts := shop.Carts()
	assert.Len(t, carts, int(s.Journey("cart").Completed), "one session, so one cart, per cart journey")
	for id, items := range carts {
		require.Len(t, items, 1, id)
		assert.Equal(t, 2, items[0].Qty, id)
	}
	assert.Equal(t, int(s.Journey("checkout").Completed), shop.Orders())

	// The thresholds were watched as it ran (the sends outnumber the
	// planned arrivals, which must not look like a lost threshold).
	require.Len(t, s.Thresholds, 2)
	for _, th := range s.Thresholds {
		assert.True(t, th.Pass, "%s: %s", th.Name, th.Actual)
	}
}

// TestJourneyStepFailureEndsIt: a step that fails its expectation ends its
// user's journey there, counted at that step; later steps are not sent,
// except the cleanup steps marked always.
func TestJourneyStepFailureEndsIt(t *testing.T) {
	_, url := demotest.Start(t, demoapp.Faults{})
	lt := loadTest(t, `
  - name: failing
    targets:
      - name: j
        journey:
          - {name: one, request: {url: /api/health}}
          - {name: two, request: {url: /api/health}, expect: {status: [201]}}
          - {name: three, request: {url: /api/health}}
          - {name: cleanup, always: true, request: {url: /api/health}}
      - name: k
        journey:
          - {name: fail, request: {url: /api/health}, expect: {status: [201]}}
          - {name: make, request: {url: /api/health}, capture: [{name: id, regex: "(.+)"}]}
          - {name: undo, always: true, request: {url: '/api/health?id={{capture "id"}}'}}
    profile: [{constant: {rate: 50/s, duration: 1s}}]
    thresholds:
      - {journey: j, error_rate: 1%}
      - {endpoint: "j: one", p95: 5s}
    limits: {max_duration: 10s, max_requests: 1000}
`)
	s, err := Run(t.Context(), lt, Options{Env: "dev", BaseURL: url})
	require.NoError(t, err)
	require.Equal(t, "completed", s.Stop)
	j, k := s.Journey("j"), s.Journey("k")
	require.NotNil(t, j)
	require.NotNil(t, k)
	assert.Equal(t, int64(50), j.Started+k.Started)
	assert.Equal(t, []int64{0, j.Started, 0, 0}, j.FailedAt)
	assert.Equal(t, []int64{k.Started, 0, 0}, k.FailedAt)
	assert.Zero(t, s.Endpoint("k: undo").Requests, "a cleanup that needs a value no step captured has nothing to clean up")
	assert.Zero(t, k.Unfinished())
	assert.Zero(t, j.Completed)
	two := s.Endpoint("j: two")
	assert.Equal(t, j.Started, two.Errors)
	assert.Equal(t, j.Started, two.ErrorKinds[KindExpect])
	assert.Zero(t, s.Endpoint("j: three").Requests, "no user went on after the failed step")
	assert.Equal(t, j.Started, s.Endpoint("j: cleanup").Requests, "every failed user ran the cleanup (always: true)")
	assert.Zero(t, j.Unfinished())
	assert.Zero(t, s.Endpoint("j: one").Errors)
	require.Len(t, s.Thresholds, 2)
	assert.Equal(t, results.ThresholdResult{Name: "journey j: error_rate < 1%", Actual: "100.00%"}, s.Thresholds[0])
	assert.Equal(t, "j: one: p95 < 5s", s.Thresholds[1].Name)
	assert.True(t, s.Thresholds[1].Pass)
}

// TestJourneyDropsAtMaxUsers: with max_users in flight, further arrivals
// are dropped and counted, in the summary and live, never queued.
func TestJourneyDropsAtMaxUsers(t *testing.T) {
	_, url := demotest.Start(t, demoapp.Faults{})
	lt := loadTest(t, `
  - name: crowded
    max_users: 10
    targets:
      - name: slow
        think: {fixed: 2s}
        journey:
          - {name: one, request: {url: /api/health}}
          - {name: two, request: {url: /api/health}}
    profile: [{constant: {rate: 50/s, duration: 1s}}]
    limits: {max_duration: 10s, max_requests: 1000}
`)
	m := NewMetrics()
	s, err := Run(t.Context(), lt, Options{Env: "dev", BaseURL: url, Metrics: m})
	require.NoError(t, err)
	j := s.Journey("slow")
	require.NotNil(t, j)
	assert.Equal(t, int64(10), j.Started, "the first ten arrivals hold every user for 2s")
	assert.Equal(t, int64(40), j.Dropped)
	assert.Equal(t, int64(10), j.Completed)
	assert.Equal(t, 40.0, testutil.ToFloat64(m.journeys.WithLabelValues("crowded", "dev", "slow", "dropped")))
	assert.Zero(t, s.Dropped, "the generator itself dropped nothing")
}

// TestJourneyUniqueDataAcrossShards: four shards of a journey with unique
// data use every row once between them, and a shard whose rows run out
// stops with the reason.
func TestJourneyUniqueDataAcrossShards(t *testing.T) {
	var mu sync.Mutex
	seen := map[string]int{}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen[r.URL.Query().Get("u")]++
		mu.Unlock()
	}))
	t.Cleanup(srv.Close)
	const text = `
  - name: unique
    targets:
      - name: login
        data: {file: users.csv, mode: unique}
        journey: [{name: hello, request: {url: "/?u={{data \"email\"}}"}}]
    profile: [{constant: {rate: %s, duration: 1s}}]
    limits: {max_duration: 10s, max_requests: 1000}
`
	dir := t.TempDir()
	lt := loadTestIn(t, dir, fmt.Sprintf(text, "40/s"), map[string]string{"users.csv": users(40)})
	for shard := range 4 {
		s, err := Run(t.Context(), lt, Options{Env: "dev", BaseURL: srv.URL, Shard: shard, Shards: 4})
		require.NoError(t, err)
		assert.Equal(t, "completed", s.Stop)
		assert.Equal(t, int64(10), s.Journey("login").Completed)
	}
	assert.Len(t, seen, 40, "every row used")
	for u, n := range seen {
		assert.Equal(t, 1, n, "row %s used once", u)
	}

	short := loadTestIn(t, t.TempDir(), fmt.Sprintf(text, "20/s"), map[string]string{"users.csv": users(5)})
	s, err := Run(t.Context(), short, Options{Env: "dev", BaseURL: srv.URL})
	require.NoError(t, err)
	assert.True(t, s.Partial)
	assert.Contains(t, s.Stop, "test data used up: all 5 rows of users.csv are taken (mode unique); give more rows, or mode circular")
	assert.Equal(t, int64(5), s.Journey("login").Started)
}

// TestJourneyThinkTimes: in the running engine, the gap between a step's
// answer and when the user's next step was due is the think time, drawn
// from its distribution. The raw results carry each send's user and due
// time, so the gaps are exact. With n gaps, the KS bound 2.69/√n is passed
// by a correct sampler but for a chance of 2·e^(-2·2.69²) ≈ 1e-6; the mean
// is held to 5 standard errors.
func TestJourneyThinkTimes(t *testing.T) {
	_, url := demotest.Start(t, demoapp.Faults{})
	ms := func(x float64) float64 { return x * float64(time.Millisecond) }
	for _, tt := range []struct {
		name, think string
		mean, sd    float64 // ns
		cdf         func(ns float64) float64
	}{
		{"uniform", "{uniform: {min: 10ms, max: 30ms}}", ms(20), ms(20 / math.Sqrt(12)),
			func(x float64) float64 { return min(max((x-ms(10))/ms(20), 0), 1) }},
		{"exponential", "{exponential: 20ms}", ms(20), ms(20), func(x float64) float64 { return 1 - math.Exp(-x/ms(20)) }},
	} {
		t.Run(tt.name, func(t *testing.T) {
			lt := loadTest(t, `
  - name: thinking
    targets:
      - name: j
        think: `+tt.think+`
        journey:
          - {name: one, request: {url: /api/health}}
          - {name: two, request: {url: /api/health}}
          - {name: three, request: {url: /api/health}}
    profile: [{constant: {rate: 200/s, duration: 3s}}]
    limits: {max_duration: 20s, max_requests: 10000}
`)
			var raw []vegeta.Result
			s, err := Run(t.Context(), lt, Options{Env: "dev", BaseURL: url, Raw: func(r *vegeta.Result) error {
				raw = append(raw, *r)
				return nil
			}})
			require.NoError(t, err)
			require.Equal(t, int64(600), s.Journey("j").Completed)
			type send struct {
				due time.Time
				end time.Time
			}
			byUser := map[uint64][]send{}
			for _, r := range raw {
				_, due, user, ok := parseMark(r.URL)
				require.True(t, ok, r.URL)
				byUser[user] = append(byUser[user], send{due: s.Start.Add(due), end: r.End()})
			}
			var gaps []float64
			for _, sends := range byUser {
				require.Len(t, sends, 3)
				slices.SortFunc(sends, func(a, b send) int { return a.due.Compare(b.due) })
				for k := 1; k < len(sends); k++ {
					gaps = append(gaps, float64(sends[k].due.Sub(sends[k-1].end)))
				}
			}
			n := float64(len(gaps))
			require.Equal(t, 1200.0, n)
			var sum float64
			for _, g := range gaps {
				require.GreaterOrEqual(t, g, 0.0, "a step was due before the previous one answered")
				sum += g
			}
			t.Logf("%d gaps, mean %.2fms, KS distance %.4f (bound %.4f)", len(gaps), sum/n/ms(1), ksDistance(slices.Clone(gaps), tt.cdf), 2.69/math.Sqrt(n))
			assert.InDelta(t, tt.mean, sum/n, 5*tt.sd/math.Sqrt(n), "mean think time")
			assert.Less(t, ksDistance(gaps, tt.cdf), 2.69/math.Sqrt(n), "Kolmogorov–Smirnov distance from the think time's distribution")
		})
	}
}

// stall holds every request that arrives within a second of the trigger'th
// one until that second is over: the shop freezes, as in a long GC pause.
func stall(next http.Handler, trigger int64) http.Handler {
	var n, until atomic.Int64
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == trigger {
			until.Store(time.Now().Add(time.Second).UnixNano())
		}
		if end := until.Load(); end != 0 {
			t := time.NewTimer(time.Until(time.Unix(0, end)))
			defer t.Stop()
			select {
			case <-t.C:
			case <-r.Context().Done():
				return
			}
		}
		next.ServeHTTP(w, r)
	})
}

// TestJourneyStallShowsInDueLatency: when the shop freezes for a second,
// every step that fell due in that second shows it in its latency from due
// (arrivals keep coming, in an open model), not only the few in flight;
// and the step after a stalled one is due when that one answered, so the
// stall is not counted twice.
func TestJourneyStallShowsInDueLatency(t *testing.T) {
	const rate = 100
	srv := httptest.NewServer(stall(demoapp.New(), 300)) // at about 1.5 s
	t.Cleanup(srv.Close)
	lt := loadTest(t, `
  - name: stalled
    targets:
      - name: j
        think: {fixed: 20ms}
        journey:
          - {name: one, request: {url: /api/health}}
          - {name: two, request: {url: /api/health}}
    profile: [{constant: {rate: 100/s, duration: 4s}}]
    limits: {max_duration: 20s, max_requests: 10000}
`)
	s, err := Run(t.Context(), lt, Options{Env: "dev", BaseURL: srv.URL})
	require.NoError(t, err)
	require.Equal(t, "completed", s.Stop)
	j := s.Journey("j")
	require.Equal(t, int64(4*rate), j.Completed)
	one, two := s.Endpoint("j: one"), s.Endpoint("j: two")
	t.Logf("due latency above 500ms: %d first steps, %d second steps; max %s", one.DueLatency.CountAbove(500*time.Millisecond),
		two.DueLatency.CountAbove(500*time.Millisecond), one.DueLatency.Max())
	// The arrivals due in the stall's first half waited half a second or
	// more: about rate/2 of them.
	assert.GreaterOrEqual(t, one.DueLatency.CountAbove(500*time.Millisecond), int64(0.8*rate/2), "first steps due in the stall")
	assert.GreaterOrEqual(t, one.DueLatency.Max(), 900*time.Millisecond)
	assert.GreaterOrEqual(t, one.Latency.CountAbove(500*time.Millisecond), int64(0.8*rate/2), "they were sent on time and held by the shop")
	// A stalled user's next step was due after its answer plus the think
	// time, after the stall: only the few users thinking when it began had
	// a second step fall due in it.
	assert.LessOrEqual(t, two.DueLatency.CountAbove(500*time.Millisecond), int64(10), "second steps due in the stall")
	assert.GreaterOrEqual(t, j.Duration.Max(), time.Second, "a journey that met the stall took the stall's second")
}

// TestRawHidesSecretCaptureInErrors: a step whose URL holds a secret
// capture and that fails before any answer (a timeout) quotes the URL it
// sent in its error; the raw file keeps the URL as written there too, and
// no error in it carries probe's endpoint mark.
func TestRawHidesSecretCaptureInErrors(t *testing.T) {
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/login":
			fmt.Fprintf(w, `{"token": "tok-%d-Hx7q"}`, n.Add(1))
		case "/orders":
			<-r.Context().Done() // past the timeout
		default:
			http.NotFound(w, r) // a status error quotes no URL
		}
	}))
	defer srv.Close()
	lt := loadTest(t, `
  - name: secret
    timeout: 200ms
    targets:
      - name: j
        journey:
          - {name: login, request: {url: /login}, capture: [{name: tok, json: $.token, secret: true}]}
          - {name: use, request: {url: '/orders?t={{capture "tok"}}'}}
      - name: plain
        path: /orders
    profile: [{constant: {rate: 20/s, duration: 500ms}}]
    limits: {max_duration: 10s, max_requests: 100}
`)
	var raw bytes.Buffer
	s, err := Run(t.Context(), lt, Options{Env: "dev", BaseURL: srv.URL, Raw: vegeta.NewEncoder(&raw)})
	require.NoError(t, err)
	require.Positive(t, s.Endpoint("j: use").ErrorKinds[KindTimeout], "the secret step timed out")
	require.Positive(t, s.Endpoint("plain").ErrorKinds[KindTimeout])
	assert.NotContains(t, raw.String(), "-Hx7q", "a captured token in the raw file")
	dec := vegeta.NewDecoder(&raw)
	var errs []string
	for {
		var r vegeta.Result
		if dec.Decode(&r) != nil {
			break
		}
		if r.Error != "" {
			errs = append(errs, r.Error)
		}
	}
	require.NotEmpty(t, errs)
	for _, e := range errs {
		assert.NotContains(t, e, endpointMark, e)
		assert.NotContains(t, e, "-Hx7q", e)
	}
	assert.Contains(t, strings.Join(errs, "\n"), `"`+srv.URL+`/orders?t={{capture \"tok\"}}"`, "the URL as written")
}
