package loadtests

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/probe-dev/probe/suite"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/push"
)

// Metrics are a load test's live Prometheus metrics. Labels come from a known
// set: the load test, the environment, the suite's endpoint names, code
// classes and error kinds.
type Metrics struct {
	requests  *prometheus.CounterVec
	errors    *prometheus.CounterVec
	latency   *prometheus.HistogramVec
	requested *prometheus.GaugeVec
	late      *prometheus.CounterVec
	dropped   *prometheus.CounterVec
	journeys  *prometheus.CounterVec
}

// NewMetrics returns unregistered metrics.
func NewMetrics() *Metrics {
	return &Metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "probe_load_requests_total", Help: "Requests answered (or failed) in a load test, by endpoint and status code class.",
		}, []string{"loadtest", "env", "endpoint", "code_class"}),
		errors: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "probe_load_errors_total", Help: "Failed requests in a load test, by endpoint and error kind.",
		}, []string{"loadtest", "env", "endpoint", "kind"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "probe_load_request_duration_seconds", Help: "Latency of load-test requests from when they were sent.",
			Buckets: prometheus.ExponentialBuckets(0.001, 2, 15),
		}, []string{"loadtest", "env", "endpoint"}),
		requested: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "probe_load_requested_rate", Help: "Request rate the load profile asks for now, per second.",
		}, []string{"loadtest", "env"}),
		late: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "probe_load_sent_late_total", Help: "Requests the generator sent more than 10ms after they were due.",
		}, []string{"loadtest", "env"}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "probe_load_dropped_total", Help: "Sends the generator dropped, too far behind to make them: counted, never sent.",
		}, []string{"loadtest", "env"}),
		journeys: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "probe_load_journeys_total", Help: "Journeys of a load test by outcome: started, completed, failed (a step failed) and dropped (max_users were in flight).",
		}, []string{"loadtest", "env", "journey", "outcome"}),
	}
}

// Register adds the metrics to reg.
func (m *Metrics) Register(reg prometheus.Registerer) error {
	for _, c := range []prometheus.Collector{m.requests, m.errors, m.latency, m.requested, m.late, m.dropped, m.journeys} {
		if err := reg.Register(c); err != nil {
			return err
		}
	}
	return nil
}

// pushTimeout bounds a push: a Pushgateway that accepted the connection and
// never answered held probe load after its test, with nothing printed,
// until it was killed.
var pushTimeout = 10 * time.Second

// Push sends what g gathers to the Pushgateway at url, as job probe_load
// with the run named by instance (the metrics carry loadtest and env
// themselves, and the grouping key must not repeat them). It takes at most
// pushTimeout. A test that was interrupted still pushes what it measured:
// a ctx already done when Push starts does not cancel it.
func Push(ctx context.Context, url string, g prometheus.Gatherer, instance string) error {
	if ctx.Err() != nil {
		ctx = context.WithoutCancel(ctx)
	}
	ctx, cancel := context.WithTimeout(ctx, pushTimeout)
	defer cancel()
	err := push.New(url, "probe_load").Gatherer(g).Grouping("instance", instance).PushContext(ctx)
	shown := suite.HideURLPasswords(url) // the error is logged
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("push to the Pushgateway at %s: no answer within %s", shown, pushTimeout)
	}
	if err != nil {
		// The library's message quotes the whole URL.
		return fmt.Errorf("push to the Pushgateway at %s: %s", shown, suite.HideURLPasswords(err.Error()))
	}
	return nil
}
