package results

import "time"

// Limit says what ended a drill, or what broke one of its steps.
type Limit string

// The limits of a drill.
const (
	LimitTarget      Limit = "target"    // the SLO broke: the target's limit
	LimitGenerator   Limit = "generator" // probe could not send the rate: the target's limit is not known
	LimitMax         Limit = "max"       // it reached --max
	LimitErrors      Limit = "errors"    // the hard error ceiling
	LimitInterrupted Limit = StopInterrupted
)

// Drill is a capacity drill: the rate stepped up until the SLO broke.
type Drill struct {
	Schema    string        `json:"schema"`
	LoadTest  string        `json:"loadtest"`
	Env       string        `json:"env"`
	SLOP95    time.Duration `json:"slo_p95_ns"`
	SLOErrors float64       `json:"slo_error_rate"`
	Steps     []DrillStep   `json:"steps"`
	// HighestGood is the highest rate per second that held the SLO.
	HighestGood float64 `json:"highest_good"`
	// Knee is the rate after which latency climbs faster than load.
	Knee  float64 `json:"knee"`
	Limit Limit   `json:"limit"` // what ended the drill
	// Bottleneck is the endpoint (or journey step) furthest over the SLO at
	// the first bad step; BottleneckWhy says by what.
	Bottleneck    string  `json:"bottleneck,omitempty"`
	BottleneckWhy string  `json:"bottleneck_why,omitempty"`
	USL           *USL    `json:"usl,omitempty"`
	Expect        float64 `json:"expect,omitempty"`
	Headroom      float64 `json:"headroom,omitempty"` // HighestGood / Expect
	Passed        bool    `json:"passed"`
}

// DrillStep is one rate held for a while.
type DrillStep struct {
	Rate        float64       `json:"rate"`
	Achieved    float64       `json:"achieved"`
	Throughput  float64       `json:"throughput"` // successful requests per second
	P50         time.Duration `json:"p50_ns"`
	P95         time.Duration `json:"p95_ns"`
	P99         time.Duration `json:"p99_ns"`
	ErrorRate   float64       `json:"error_rate"`
	Concurrency float64       `json:"concurrency"` // throughput × mean latency (Little's law)
	Late        float64       `json:"late"`        // share of due requests sent late or dropped
	OK          bool          `json:"ok"`
	Why         string        `json:"why,omitempty"`
	Cause       Limit         `json:"cause,omitempty"` // target, generator or errors, when not OK
	Refining    bool          `json:"refining,omitempty"`
}

// USL is the Universal Scalability Law fitted to throughput against
// concurrency: X(N) = λN / (1 + σ(N−1) + κN(N−1)).
type USL struct {
	Lambda    float64 `json:"lambda"`
	Sigma     float64 `json:"sigma"`
	Kappa     float64 `json:"kappa"`
	PeakN     float64 `json:"peak_concurrency"` // 0: throughput levels off rather than peaks
	PeakX     float64 `json:"peak_throughput"`  // 0: no peak within reach of the fit
	RelErrRMS float64 `json:"fit_error"`        // root mean square of the relative errors
}

// Throughput is the law's throughput at concurrency n.
func (u *USL) Throughput(n float64) float64 {
	return u.Lambda * n / (1 + u.Sigma*(n-1) + u.Kappa*n*(n-1))
}
