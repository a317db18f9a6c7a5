package loadtests

import (
	"bytes"
	"context"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/probe-dev/probe/demoapp"
	"github.com/probe-dev/probe/demoapp/demotest"
	"github.com/probe-dev/probe/results"
	"github.com/probe-dev/probe/suite"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// loadTest reads one load test written in the suite format.
func loadTest(t *testing.T, text string) *suite.LoadTest {
	t.Helper()
	s, err := suite.LoadBytes("test.yaml", []byte("environments:\n  dev: {base_url: \"http://127.0.0.1:1\"}\nloadtests:\n"+text),
		suite.WithLookupEnv(func(string) (string, bool) { return "", false }))
	require.NoError(t, err)
	return s.LoadTests[0]
}

// TestRateAndShares runs 1000/s for 10 s: the rate achieved is the rate asked
// for, and each endpoint gets its weight's share.
func TestRateAndShares(t *testing.T) {
	shop, url := demotest.Start(t, demoapp.Faults{})
	lt := loadTest(t, `
  - name: steady
    targets:
      - {name: products, path: /api/products, weight: 5}
      - {name: product, path: "/api/products/{{randInt 1 20}}", weight: 3}
      - {name: health, path: /api/health, weight: 2}
    profile:
      - constant: {rate: 1000/s, duration: 10s}
    limits: {max_duration: 20s, max_requests: 20000}
`)
	var raw bytes.Buffer
	s, err := Run(t.Context(), lt, Options{Env: "dev", BaseURL: url, Raw: vegeta.NewEncoder(&raw)})
	require.NoError(t, err)

	assert.Equal(t, int64(10000), s.Planned)
	assert.Equal(t, int64(10000), s.Sent)
	assert.Equal(t, "completed", s.Stop)
	assert.False(t, s.Partial)
	assert.InEpsilon(t, 1000, s.AchievedRate(), 0.01, "achieved %.1f/s", s.AchievedRate())
	assert.Zero(t, s.Overall.Errors)

	// Shares within five standard deviations of the binomial.
	weights := map[string]float64{"products": 0.5, "product": 0.3, "health": 0.2}
	for name, p := range weights {
		e := s.Endpoint(name)
		require.NotNil(t, e, name)
		sd := math.Sqrt(10000 * p * (1 - p))
		assert.InDelta(t, 10000*p, float64(e.Requests), 5*sd, name)
	}
	// The shop saw exactly what the summary counts.
	st := shop.Stats()
	assert.Equal(t, st["api.products"].Requests, s.Endpoint("products").Requests)
	assert.Equal(t, st["api.product"].Requests, s.Endpoint("product").Requests)
	assert.Equal(t, st["api.health"].Requests, s.Endpoint("health").Requests)

	// The raw results are vegeta's own encoding, one per request.
	dec := vegeta.NewDecoder(&raw)
	var n int
	for {
		var r vegeta.Result
		if dec.Decode(&r) != nil {
			break
		}
		n++
	}
	assert.Equal(t, 10000, n)

	// The timeline has every second, with the requested rate beside the sent.
	// (A request sent a hair late may open an eleventh second.)
	require.GreaterOrEqual(t, len(s.Timeline), 10)
	var sent int64
	for _, sec := range s.Timeline {
		sent += sec.Sent
		if sec.T < 10 {
			assert.InDelta(t, 1000, sec.Requested, 1e-9)
			// Sends are counted by when they left: a stall of a shared
			// machine moves some into the next second, so only a gross
			// unevenness (a burst or a gap of 400ms) fails.
			assert.InDelta(t, 1000, float64(sec.Sent), 400, "second %d", sec.T)
			assert.Positive(t, sec.P99)
		}
	}
	assert.Equal(t, s.Sent, sent)
}

// TestStallShowsInDueLatency: with one worker, a response that stalls for a
// second holds up the requests behind it. From when they were sent they look
// fast; from when they were due they waited, and the due-time p99 shows it.
func TestStallShowsInDueLatency(t *testing.T) {
	shop := demoapp.New()
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 300 {
			time.Sleep(time.Second) // the shop stalls once
		}
		shop.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	lt := loadTest(t, `
  - name: stall
    targets: [{name: health, path: /api/health}]
    profile: [{constant: {rate: 200/s, duration: 5s}}]
    limits: {max_duration: 20s, max_requests: 2000}
`)
	s, err := Run(t.Context(), lt, Options{Env: "dev", BaseURL: srv.URL, Workers: 1, MaxWorkers: 1})
	require.NoError(t, err)
	require.Equal(t, int64(1000), s.Sent)
	sent, due := s.Overall.Latency.Quantile(0.99), s.Overall.DueLatency.Quantile(0.99)
	assert.Less(t, sent, 200*time.Millisecond, "one slow request of 1000 is not the p99 from send")
	assert.Greater(t, due, 800*time.Millisecond, "the requests held up behind it are, from when they were due")
	assert.Greater(t, s.Late, int64(100), "the generator reports it sent them late")
}

func TestAbortWhenThresholdLost(t *testing.T) {
	_, url := demotest.Start(t, demoapp.Faults{Routes: map[string]demoapp.RouteFaults{"api.health": {ErrorRate: 1}}})
	lt := loadTest(t, `
  - name: doomed
    targets: [{name: health, path: /api/health}]
    profile: [{constant: {rate: 50/s, duration: 20s}}]
    thresholds: [{error_rate: 1%}]
    limits: {max_duration: 30s, max_requests: 2000}
`)
	start := time.Now()
	s, err := Run(t.Context(), lt, Options{Env: "dev", BaseURL: url, AbortAfter: time.Second})
	require.NoError(t, err)
	assert.Less(t, time.Since(start), 10*time.Second, "stopped early")
	assert.True(t, s.Partial)
	assert.Equal(t, "aborted: threshold error_rate < 1% can no longer pass", s.Stop)
	require.Len(t, s.Thresholds, 1)
	assert.False(t, s.Thresholds[0].Pass)
	assert.Equal(t, "100.00%", s.Thresholds[0].Actual)
	assert.True(t, s.Failed())
	assert.Equal(t, s.Overall.Requests, s.Overall.ErrorKinds[KindHTTP5xx])
}

func TestInterruptWritesPartial(t *testing.T) {
	shop, url := demotest.Start(t, demoapp.Faults{})
	lt := loadTest(t, `
  - name: long
    targets: [{name: health, path: /api/health}]
    profile: [{constant: {rate: 100/s, duration: 60s}}]
    limits: {max_duration: 60s, max_requests: 10000}
`)
	ctx, cancel := context.WithCancel(t.Context())
	var got []Progress
	s, err := Run(ctx, lt, Options{Env: "dev", BaseURL: url, Progress: func(p Progress) {
		got = append(got, p)
		if p.Sent >= 150 {
			cancel()
		}
	}})
	require.NoError(t, err)
	assert.True(t, s.Partial)
	assert.Equal(t, "interrupted", s.Stop)
	assert.Less(t, s.Sent, int64(1000))
	assert.Equal(t, shop.Stats()["api.health"].Requests, s.Sent, "every request in flight was waited for")
	require.NotEmpty(t, got)
	assert.Equal(t, int64(6000), got[0].Planned)
}

// TestShardsMerge runs one load test as 4 shards: together they send what one
// run would, and their summaries merge exactly.
func TestShardsMerge(t *testing.T) {
	_, url := demotest.Start(t, demoapp.Faults{})
	lt := loadTest(t, `
  - name: sharded
    targets:
      - {name: products, path: /api/products}
      - {name: health, path: /api/health}
    profile: [{ramp: {from: 40/s, to: 120/s, duration: 2s}}]
    limits: {max_duration: 10s, max_requests: 1000}
`)
	var parts []*results.Summary
	for i := range 4 {
		s, err := Run(t.Context(), lt, Options{Env: "dev", BaseURL: url, Shard: i, Shards: 4, Seed: 7})
		require.NoError(t, err)
		assert.Equal(t, "completed", s.Stop)
		parts = append(parts, s)
	}
	merged, err := results.MergeSummaries(parts)
	require.NoError(t, err)
	whole := NewSchedule(lt.Profile, ScheduleOptions{}).Planned()
	assert.Equal(t, whole, merged.Sent, "the shards send exactly the whole schedule")
	assert.Equal(t, whole, merged.Planned)

	sum := results.NewHistogram()
	var requests int64
	for _, p := range parts {
		sum.Merge(p.Overall.Latency)
		requests += p.Overall.Requests
	}
	assert.True(t, sum.Equal(merged.Overall.Latency), "histograms add")
	assert.Equal(t, requests, merged.Overall.Requests)
	assert.Equal(t, merged.Overall.Requests, merged.Endpoint("products").Requests+merged.Endpoint("health").Requests)

	// A summary survives its JSON form.
	var buf bytes.Buffer
	require.NoError(t, merged.WriteJSON(&buf))
	back, err := results.ReadSummary(&buf)
	require.NoError(t, err)
	assert.True(t, back.Overall.Latency.Equal(merged.Overall.Latency))
	assert.Equal(t, merged.Overall.Codes, back.Overall.Codes)
}

func TestErrorKinds(t *testing.T) {
	tests := []struct {
		r    vegeta.Result
		kind string
	}{
		{vegeta.Result{Code: 200}, ""},
		{vegeta.Result{Code: 302}, ""},
		{vegeta.Result{Code: 404, Error: "404 Not Found"}, KindHTTP4xx},
		{vegeta.Result{Code: 503, Error: "503 Service Unavailable"}, KindHTTP5xx},
		{vegeta.Result{Error: "Get \"http://x\": dial tcp 127.0.0.1:1: connect: connection refused"}, KindRefused},
		{vegeta.Result{Error: "Get \"http://x\": context deadline exceeded (Client.Timeout exceeded while awaiting headers)"}, KindTimeout},
		{vegeta.Result{Error: "read: connection reset by peer"}, KindReset},
		{vegeta.Result{Error: "dial tcp: lookup nope: no such host"}, KindDNS},
		{vegeta.Result{Error: "tls: handshake failure"}, KindTLS},
		{vegeta.Result{Error: "socket: too many open files"}, KindLocal},
		{vegeta.Result{Error: "something new"}, KindOther},
	}
	for _, tt := range tests {
		t.Run(tt.r.Error, func(t *testing.T) {
			assert.Equal(t, tt.kind, errorKind(&tt.r))
		})
	}
}

// TestBodiesCountedNotKept: bodies of every size are counted to the byte,
// streamed or not, and none reaches the raw results.
func TestBodiesCountedNotKept(t *testing.T) {
	const big = 48 << 20
	chunk := bytes.Repeat([]byte("x"), 1<<20)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/small" {
			_, _ = w.Write([]byte("hello"))
			return
		}
		for range big >> 20 { // streamed: no Content-Length
			_, _ = w.Write(chunk)
		}
	}))
	defer srv.Close()
	lt := loadTest(t, `
  - name: bodies
    targets:
      - {name: big, path: /big}
      - {name: small, path: /small}
    profile:
      - constant: {rate: 8/s, duration: 1s}
    limits: {max_duration: 30s, max_requests: 8}
`)
	var raw bytes.Buffer
	s, err := Run(t.Context(), lt, Options{Env: "dev", BaseURL: srv.URL, Raw: vegeta.NewEncoder(&raw)})
	require.NoError(t, err)
	require.Zero(t, s.Overall.Errors)
	b, sm := s.Endpoint("big"), s.Endpoint("small")
	assert.Equal(t, b.Requests*big, b.BytesIn)
	assert.Equal(t, sm.Requests*5, sm.BytesIn)
	assert.Equal(t, b.BytesIn+sm.BytesIn, s.Overall.BytesIn)
	assert.Less(t, raw.Len(), 8<<10, "no body in the raw results")
	assert.NotContains(t, raw.String(), bodyBytesHeader)
}

// TestLateSendsCountedLive: when the generator cannot keep the schedule (one
// worker, a target that takes 20 ms, 200 requests a second), the live
// probe_load_sent_late_total and probe_load_dropped_total count every late
// and dropped send the summary counts, and the summary names the generator.
func TestLateSendsCountedLive(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(20 * time.Millisecond):
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	lt := loadTest(t, `
  - name: late
    targets: [{name: slow, path: /}]
    profile: [{constant: {rate: 200/s, duration: 1s}}]
    limits: {max_duration: 10s, max_requests: 200}
`)
	m := NewMetrics()
	require.NoError(t, m.Register(prometheus.NewRegistry()))
	s, err := Run(t.Context(), lt, Options{Env: "dev", BaseURL: srv.URL, Workers: 1, MaxWorkers: 1, Metrics: m})
	require.NoError(t, err)
	require.Greater(t, s.Late+s.Dropped, int64(100), "one worker at 20 ms a request sends at most 50 of 200/s")
	assert.Equal(t, s.Planned, s.Sent+s.Dropped, "every due send is sent or dropped")
	assert.Equal(t, float64(s.Late), testutil.ToFloat64(m.late.WithLabelValues("late", "dev")))
	assert.Equal(t, float64(s.Dropped), testutil.ToFloat64(m.dropped.WithLabelValues("late", "dev")))
	require.NotNil(t, s.Generator)
	assert.Equal(t, s.Dropped, s.Generator.Dropped)
}

// TestTransportCountsWhatTheTargetHolds: the client counts a request from
// its start until its body is closed, whatever the answer, and not one that
// failed to connect: what the pacer reads to tell a target that holds the
// workers from a generator that does.
func TestTransportCountsWhatTheTargetHolds(t *testing.T) {
	arrived, release := make(chan struct{}), make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		arrived <- struct{}{}
		<-release
		_, _ = w.Write([]byte("ok"))
	}))
	defer srv.Close()
	var held atomic.Int64
	client := newClient(t.Context(), 10*time.Second, 4, &held)
	type answer struct {
		res *http.Response
		err error
	}
	got := make(chan answer, 2)
	for range 2 {
		go func() {
			res, err := client.Get(srv.URL)
			got <- answer{res, err}
		}()
	}
	<-arrived
	<-arrived
	assert.Equal(t, int64(2), held.Load(), "both at the target")
	close(release)
	for range 2 {
		a := <-got
		require.NoError(t, a.err)
		_, _ = io.Copy(io.Discard, a.res.Body)
		require.NoError(t, a.res.Body.Close())
		require.NoError(t, a.res.Body.Close(), "a second close counts nothing")
	}
	assert.Zero(t, held.Load(), "answered and closed")

	_, err := client.Get("http://127.0.0.1:1/refused")
	require.Error(t, err)
	assert.Zero(t, held.Load(), "a request that never reached a target")
}

// TestNoTargetsIsAnError: the suite's check refuses a load test without
// targets; one built in code gets an error, not a panic at the first pick.
func TestNoTargetsIsAnError(t *testing.T) {
	_, err := newTargeter(&suite.LoadTest{Name: "empty"}, "http://127.0.0.1:1", nil, nil, 0, 1, 1)
	assert.EqualError(t, err, `loadtest "empty": no targets to send`)
}
