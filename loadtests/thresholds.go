package loadtests

import (
	"fmt"
	"time"

	"github.com/probe-dev/probe/results"
	"github.com/probe-dev/probe/suite"
)

// threshold is one of the suite's thresholds, ready to judge a summary.
type threshold struct {
	name     string
	endpoint string
	journey  string // judged on the journey's view (journeyView), not an endpoint
	judge    func(e *results.Endpoint, s *results.Summary) (actual string, pass bool)
	// lost reports whether the threshold can no longer pass, whatever the
	// remaining requests do, given the counts so far.
	lost func(e *results.Endpoint, s *results.Summary, remaining int64, planned time.Duration) bool
}

func thresholdsOf(lt *suite.LoadTest) []threshold {
	var out []threshold
	for _, th := range lt.Thresholds {
		t := threshold{endpoint: th.Endpoint, journey: th.Journey}
		prefix := ""
		switch {
		case th.Endpoint != "":
			prefix = th.Endpoint + ": "
		case th.Journey != "":
			prefix = "journey " + th.Journey + ": "
		}
		switch {
		case th.P50 > 0:
			t.name, t.judge, t.lost = percentile(prefix, "p50", 0.50, th.P50.Std())
		case th.P90 > 0:
			t.name, t.judge, t.lost = percentile(prefix, "p90", 0.90, th.P90.Std())
		case th.P95 > 0:
			t.name, t.judge, t.lost = percentile(prefix, "p95", 0.95, th.P95.Std())
		case th.P99 > 0:
			t.name, t.judge, t.lost = percentile(prefix, "p99", 0.99, th.P99.Std())
		case th.MaxLatency > 0:
			limit := th.MaxLatency.Std()
			t.name = prefix + "max < " + th.MaxLatency.String()
			t.judge = func(e *results.Endpoint, _ *results.Summary) (string, bool) {
				return e.Latency.Max().String(), e.Latency.Max() <= limit
			}
			t.lost = func(e *results.Endpoint, _ *results.Summary, _ int64, _ time.Duration) bool {
				return e.Latency.Max() > limit
			}
		case th.ErrorRate != nil:
			limit := float64(*th.ErrorRate)
			t.name = prefix + "error_rate < " + th.ErrorRate.String()
			t.judge = func(e *results.Endpoint, _ *results.Summary) (string, bool) {
				return fmt.Sprintf("%.2f%%", e.ErrorRate()*100), e.ErrorRate() <= limit
			}
			t.lost = func(e *results.Endpoint, _ *results.Summary, remaining int64, _ time.Duration) bool {
				return float64(e.Errors) > limit*float64(e.Requests+remaining)
			}
		case th.MinThroughput != nil:
			limit := th.MinThroughput.PerSecond()
			t.name = prefix + "throughput > " + th.MinThroughput.String()
			t.judge = func(e *results.Endpoint, s *results.Summary) (string, bool) {
				got := 0.0
				if s.Duration > 0 {
					got = float64(e.Requests-e.Errors) / s.Duration.Seconds()
				}
				return fmt.Sprintf("%.1f/s", got), got >= limit
			}
			t.lost = func(e *results.Endpoint, _ *results.Summary, remaining int64, planned time.Duration) bool {
				return float64(e.Requests-e.Errors+remaining) < limit*planned.Seconds()
			}
		}
		out = append(out, t)
	}
	return out
}

func percentile(prefix, label string, q float64, limit time.Duration) (string, func(*results.Endpoint, *results.Summary) (string, bool),
	func(*results.Endpoint, *results.Summary, int64, time.Duration) bool) {
	name := fmt.Sprintf("%s%s < %s", prefix, label, suite.Duration(limit))
	judge := func(e *results.Endpoint, _ *results.Summary) (string, bool) {
		got := e.Latency.Quantile(q)
		return got.String(), got <= limit
	}
	lost := func(e *results.Endpoint, _ *results.Summary, remaining int64, _ time.Duration) bool {
		// Even if every remaining request were fast, too many are slow already.
		return float64(e.Latency.CountAbove(limit)) > (1-q)*float64(e.Requests+remaining)
	}
	return name, judge, lost
}

func (t threshold) endpointOf(s *results.Summary) *results.Endpoint {
	switch {
	case t.journey != "":
		return journeyView(s.Journey(t.journey))
	case t.endpoint == "":
		return &s.Overall
	}
	return s.Endpoint(t.endpoint)
}

// journeyView shows a journey as an endpoint, so that every threshold
// judges it the same way: each ended journey a request, failed ones its
// errors, its duration the latency.
func journeyView(j *results.Journey) *results.Endpoint {
	if j == nil {
		return nil
	}
	return &results.Endpoint{Name: j.Name, Requests: j.Completed + j.Failed(), Errors: j.Failed(), Latency: j.Duration, DueLatency: j.Duration}
}

// Judge judges every threshold of lt on s. Thresholds are measured on the
// latency from when requests were sent; the latency from when they were due is
// reported beside it.
func Judge(lt *suite.LoadTest, s *results.Summary) []results.ThresholdResult {
	var out []results.ThresholdResult
	for _, t := range thresholdsOf(lt) {
		e := t.endpointOf(s)
		if e == nil {
			// Validation rejects unknown endpoints; a summary from elsewhere may lack one.
			out = append(out, results.ThresholdResult{Name: t.name, Endpoint: t.endpoint, Actual: "no such endpoint or journey in the summary"})
			continue
		}
		if e.Requests == 0 {
			// No threshold passes on nothing measured.
			out = append(out, results.ThresholdResult{Name: t.name, Endpoint: t.endpoint, Actual: "no requests measured"})
			continue
		}
		actual, pass := t.judge(e, s)
		out = append(out, results.ThresholdResult{Name: t.name, Endpoint: t.endpoint, Actual: actual, Pass: pass})
	}
	return out
}

// lostThreshold returns the name of a threshold that can no longer pass, or "".
func lostThreshold(ts []threshold, s *results.Summary, remaining int64, planned time.Duration) string {
	for _, t := range ts {
		if e := t.endpointOf(s); e != nil && t.lost(e, s, remaining, planned) {
			return t.name
		}
	}
	return ""
}
