package results

import "time"

// Gate verdicts.
const (
	GatePass         = "pass"
	GateFail         = "fail"
	GateInconclusive = "inconclusive"
	GateInsufficient = "insufficient-data"
)

// Gate is the comparison of a candidate build with its baseline: a verdict,
// and every number it rests on.
type Gate struct {
	LoadTest string `json:"loadtest"`
	Env      string `json:"env,omitempty"`
	Mode     string `json:"mode"` // "side-by-side" (interleaved blocks) or "saved" (two summaries: weaker)
	Pairs    int    `json:"pairs"`
	// MaxPairs is the most pairs the budget held; Block the length of a
	// load-test block; LoadSpent the load both builds were given.
	MaxPairs  int           `json:"max_pairs,omitempty"`
	Block     time.Duration `json:"block_ns,omitempty"`
	LoadSpent time.Duration `json:"load_spent_ns,omitempty"`
	Method    string        `json:"method,omitempty"`
	Partial   bool          `json:"partial,omitempty"` // interrupted before it decided
	// RefusedPairs were not judged: one of their blocks was generator-limited.
	RefusedPairs int       `json:"refused_pairs,omitempty"`
	Verdict      string    `json:"verdict"`
	Findings     []Finding `json:"findings"`
	Notes        []string  `json:"notes,omitempty"`
}

// Finding is one endpoint and metric compared.
type Finding struct {
	Endpoint  string  `json:"endpoint"`
	Metric    string  `json:"metric"` // latency p95, latency p99, errors, error kind …, throughput
	Verdict   string  `json:"verdict"`
	Baseline  string  `json:"baseline"`  // the baseline's value, as text
	Candidate string  `json:"candidate"` // the candidate's value, as text
	Ratio     float64 `json:"ratio,omitempty"`
	Lower     float64 `json:"lower,omitempty"` // 95% confidence interval of the ratio
	Upper     float64 `json:"upper,omitempty"`
	P         float64 `json:"p"`
	PAdjusted float64 `json:"p_adjusted"` // after Holm's correction across endpoints
	NBase     int64   `json:"n_baseline"`
	NCand     int64   `json:"n_candidate"`
	Reason    string  `json:"reason,omitempty"`
}

// Failed reports whether the gate failed.
func (g *Gate) Failed() bool { return g.Verdict == GateFail }
