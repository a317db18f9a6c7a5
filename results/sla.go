package results

import "time"

// SLAReport is availability over a window, per check, with each outage.
type SLAReport struct {
	Env     string        `json:"env"`
	From    time.Time     `json:"from"`
	To      time.Time     `json:"to"`
	Window  time.Duration `json:"window_ns"`
	Target  float64       `json:"target,omitempty"` // the suite's availability objective, 0 when none
	Checks  []CheckSLA    `json:"checks"`
	Outages []Outage      `json:"outages"`
}

// CheckSLA is one scenario's availability over the window.
type CheckSLA struct {
	Scenario     string  `json:"scenario"`
	Pass         int64   `json:"pass"`
	Fail         int64   `json:"fail"`
	Timeout      int64   `json:"timeout"`
	InfraError   int64   `json:"infra_error"` // counted, never held against the target
	Availability float64 `json:"availability"`
	// BudgetRemaining is the share of the error budget left, when a target is set.
	BudgetRemaining float64 `json:"budget_remaining"`
}

// Outage is a stretch of failed or timed-out runs of one check, from the
// first failure to the next pass.
type Outage struct {
	Scenario    string        `json:"scenario"`
	Start       time.Time     `json:"start"`
	End         time.Time     `json:"end"`
	Duration    time.Duration `json:"duration_ns"`
	Ongoing     bool          `json:"ongoing"`
	Runs        int           `json:"runs"`
	FailingStep string        `json:"failing_step"`
	Reason      string        `json:"reason"`
}
